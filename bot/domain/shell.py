"""A shell-aware reader of command lines: split a line into the simple commands it would run.

This is not a shell. It reads enough POSIX/bash syntax to find every simple command a line could run, so the
policy can judge each one: lists (``&&``, ``||``, ``;``, ``&``, newlines), pipelines (``|``, ``|&``), groups
(``( … )``, ``{ …; }``), command substitutions (``$( … )``, backticks), process substitutions (``<( … )``,
``>( … )``), quoting (``'…'``, ``"…"``, ``$'…'``, backslashes), redirections and here-documents.
Words are returned after quote removal; expansions (``$x``, ``$( … )``) are kept verbatim and marked dynamic.
Anything it cannot read is reported in ``CommandLine.problems``; it never raises.
"""

from __future__ import annotations

import re

from bot.domain.shell_syntax import (
    CommandLine,
    Redirect,
    SimpleCommand,
    Token,
    TokenParser,
    Word,
    simple_commands,
)

__all__ = [
    "MAX_NESTING",
    "CommandLine",
    "Redirect",
    "SimpleCommand",
    "Word",
    "parse_command_line",
    "simple_commands",
]

MAX_NESTING = 8

_METACHARS = frozenset(" \t\n;&|()<>")
_OPERATORS = (";;&", "&&", "||", ";;", ";&", "|&", ";", "|", "&", "(", ")")
_REDIRECT_RE = re.compile(r"(?:\d+|\{[A-Za-z_]\w*\})?(?:&>>|&>|>>|>\||>&|<<<|<<-|<<|<&|<>|>|<)")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]")
_ANSI_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                 "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def parse_command_line(text: str, *, depth: int = 0) -> CommandLine:
    """Read ``text`` into its pipelines of simple commands. Never raises."""
    if depth > MAX_NESTING:
        return CommandLine(text=text, problems=("commands nested too deeply",))
    lexer = _Lexer(text, depth=depth)
    lexer.run()
    return TokenParser(text, lexer.tokens, lexer.problems).parse()


class _Lexer:
    """Turns text into words, operators and redirections; collects here-document bodies."""

    def __init__(self, text: str, *, depth: int, pos: int = 0, stop_at_paren: bool = False) -> None:
        self.text = text
        self.pos = pos
        self.depth = depth
        self.stop_at_paren = stop_at_paren
        self.tokens: list[Token] = []
        self.problems: list[str] = []
        self.pending: list[tuple[int, bool, bool]] = []  # (token index, strip tabs, expand)
        self.paren_depth = 0
        self.closed = False

    def run(self) -> None:
        while self.pos < len(self.text) and not self.closed:
            self._step()
        if self.pending:
            self._read_heredoc_bodies()

    def _step(self) -> None:
        text, pos = self.text, self.pos
        char = text[pos]
        if char in " \t\r":
            self.pos += 1
        elif text.startswith("\\\n", pos):
            self.pos += 2
        elif char == "\n":
            self.tokens.append(Token("op", "\n"))
            self.pos += 1
            self._read_heredoc_bodies()
        elif char == "#":
            end = text.find("\n", pos)
            self.pos = len(text) if end < 0 else end
        elif char in "<>" and text.startswith("(", pos + 1):
            self.tokens.append(Token("word", word=self._read_word()))
        elif self._read_redirect() or self._read_operator():
            return
        else:
            self.tokens.append(Token("word", word=self._read_word()))

    def _read_operator(self) -> bool:
        for op in _OPERATORS:
            if self.text.startswith(op, self.pos):
                if op == ")" and self.stop_at_paren and self.paren_depth == 0:
                    self.closed = True
                    return True
                self.paren_depth += {"(": 1, ")": -1}.get(op, 0)
                self.tokens.append(Token("op", op))
                self.pos += len(op)
                return True
        return False

    def _read_redirect(self) -> bool:
        match = _REDIRECT_RE.match(self.text, self.pos)
        if match is None:
            return False
        raw = match.group(0)
        operator = raw.lstrip("0123456789")
        fd = raw[: len(raw) - len(operator)]
        if operator.startswith("{"):
            fd, operator = operator[: operator.index("}") + 1], operator[operator.index("}") + 1:]
        self.pos = match.end()
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1
        if self.pos >= len(self.text) or self.text[self.pos] in _METACHARS - {"<", ">"}:
            self.problems.append(f"redirection {operator} has no target")
            return True
        target = self._read_word()
        if operator in {"<<", "<<-"}:
            quoted = target.text != self.text[match.end():self.pos].strip()
            self.pending.append((len(self.tokens), operator == "<<-", not quoted))
        self.tokens.append(Token("redir", operator, word=target, fd=fd))
        return True

    def _read_heredoc_bodies(self) -> None:
        for index, strip_tabs, expand in self.pending:
            token = self.tokens[index]
            delimiter = token.word.text if token.word else ""
            lines: list[str] = []
            while self.pos < len(self.text):
                end = self.text.find("\n", self.pos)
                end = len(self.text) if end < 0 else end
                line = self.text[self.pos:end]
                self.pos = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
                lines.append(line)
            body = "\n".join(lines)
            subs = self._scan_body_expansions(body) if expand else ()
            target = Word(text=delimiter, substitutions=subs)
            self.tokens[index] = Token("redir", token.value, word=target, fd=token.fd, body=body)
        self.pending = []

    def _scan_body_expansions(self, body: str) -> tuple[CommandLine, ...]:
        scanner = _Lexer(body, depth=self.depth)
        word = scanner._read_double_quoted_text(terminator=None)
        self.problems.extend(scanner.problems)
        return word.substitutions

    # words -------------------------------------------------------------------------------------------------

    def _read_word(self) -> Word:
        parts: list[str] = []
        subs: list[CommandLine] = []
        dynamic = False
        text = self.text
        start = self.pos
        while self.pos < len(text):
            char = text[self.pos]
            if char in "<>" and self.pos == start and text.startswith("(", self.pos + 1):
                self.pos += 2
                subs.append(self._read_substitution())
                parts.append(f"{char}(…)")
                dynamic = True
            elif char in _METACHARS:
                break
            elif char == "'":
                parts.append(self._read_single_quoted())
            elif char == '"':
                self.pos += 1
                inner = self._read_double_quoted_text(terminator='"')
                parts.append(inner.text)
                subs.extend(inner.substitutions)
                dynamic = dynamic or inner.dynamic
            else:
                piece = self._read_unquoted_piece()
                parts.append(piece.text)
                subs.extend(piece.substitutions)
                dynamic = dynamic or piece.dynamic
        return Word(text="".join(parts), dynamic=dynamic, substitutions=tuple(subs))

    def _read_unquoted_piece(self) -> Word:
        text, char = self.text, self.text[self.pos]
        if char == "\\":
            self.pos += 2
            return Word(text="" if text[self.pos - 1:self.pos] in {"", "\n"} else text[self.pos - 1])
        if char == "$" and text.startswith("$'", self.pos):
            self.pos += 2
            return Word(text=self._read_ansi_c())
        if char == "$" and text.startswith('$"', self.pos):
            self.pos += 2
            return self._read_double_quoted_text(terminator='"')
        if char in "$`":
            return self._read_expansion()
        self.pos += 1
        return Word(text=char)

    def _read_single_quoted(self) -> str:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            self.problems.append("unbalanced single quote")
            end = len(self.text)
        value = self.text[self.pos + 1:end]
        self.pos = end + 1
        return value

    def _read_double_quoted_text(self, *, terminator: str | None) -> Word:
        parts: list[str] = []
        subs: list[CommandLine] = []
        dynamic = False
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if terminator is not None and char == terminator:
                self.pos += 1
                return Word(text="".join(parts), dynamic=dynamic, substitutions=tuple(subs))
            if char == "\\" and terminator is not None:
                following = text[self.pos + 1:self.pos + 2]
                parts.append(following if following in '"\\$`' else "" if following == "\n" else "\\" + following)
                self.pos += 2
            elif char in "$`":
                piece = self._read_expansion()
                parts.append(piece.text)
                subs.extend(piece.substitutions)
                dynamic = dynamic or piece.dynamic
            else:
                parts.append(char)
                self.pos += 1
        if terminator is not None:
            self.problems.append("unbalanced double quote")
        return Word(text="".join(parts), dynamic=dynamic, substitutions=tuple(subs))

    def _read_expansion(self) -> Word:
        text, start = self.text, self.pos
        if text[start] == "`":
            return self._read_backticks()
        if text.startswith("$(", start):
            self.pos += 2
            sub = self._read_substitution()
            if text.startswith("$((", start):  # arithmetic: runs only what it substitutes
                inner = tuple(s for c in simple_commands(sub) for s in c.substitutions)
                return Word(text=text[start:self.pos], dynamic=True, substitutions=inner)
            return Word(text=text[start:self.pos], dynamic=True, substitutions=(sub,))
        if text.startswith("${", start):
            return self._read_parameter_braces()
        match = _NAME_RE.match(text, start + 1)
        if match is None:
            self.pos += 1
            return Word(text="$")
        self.pos = match.end()
        return Word(text=text[start:self.pos], dynamic=True)

    def _read_substitution(self) -> CommandLine:
        """After ``$(``, ``<(`` or ``>(``: read up to the matching ``)`` and parse what is inside."""
        if self.depth >= MAX_NESTING:
            self.problems.append("commands nested too deeply")
            self.pos = len(self.text)
            return CommandLine(text="", problems=("commands nested too deeply",))
        inner = _Lexer(self.text, depth=self.depth + 1, pos=self.pos, stop_at_paren=True)
        inner.run()
        body = self.text[self.pos:inner.pos]
        if not inner.closed:
            self.problems.append("unbalanced parenthesis")
        self.pos = inner.pos + 1
        line = TokenParser(body, inner.tokens, inner.problems).parse()
        self.problems.extend(line.problems)
        return line

    def _read_backticks(self) -> Word:
        start = self.pos
        self.pos += 1
        body: list[str] = []
        while self.pos < len(self.text) and self.text[self.pos] != "`":
            if self.text[self.pos] == "\\" and self.text[self.pos + 1:self.pos + 2] in {"`", "\\", "$"}:
                self.pos += 1
            body.append(self.text[self.pos])
            self.pos += 1
        if self.pos >= len(self.text):
            self.problems.append("unbalanced backtick")
        self.pos += 1
        line = parse_command_line("".join(body), depth=self.depth + 1)
        self.problems.extend(line.problems)
        return Word(text=self.text[start:self.pos], dynamic=True, substitutions=(line,))

    def _read_parameter_braces(self) -> Word:
        start = self.pos
        self.pos += 2
        nesting = 1
        subs: list[CommandLine] = []
        while self.pos < len(self.text) and nesting:
            char = self.text[self.pos]
            if char in "$`":
                subs.extend(self._read_expansion().substitutions)
                continue
            if char == "\\":
                self.pos += 1
            elif char == "'" and nesting:
                self._read_single_quoted()
                continue
            nesting += {"{": 1, "}": -1}.get(char, 0)
            self.pos += 1
        if nesting:
            self.problems.append("unbalanced ${")
        return Word(text=self.text[start:self.pos], dynamic=True, substitutions=tuple(subs))

    def _read_ansi_c(self) -> str:
        out: list[str] = []
        text = self.text
        while self.pos < len(text) and text[self.pos] != "'":
            if text[self.pos] != "\\" or self.pos + 1 >= len(text):
                out.append(text[self.pos])
                self.pos += 1
                continue
            out.append(self._read_ansi_c_escape())
        if self.pos >= len(text):
            self.problems.append("unbalanced single quote")
        self.pos += 1
        return "".join(out)

    def _read_ansi_c_escape(self) -> str:
        text = self.text
        code = text[self.pos + 1]
        self.pos += 2
        if code in _ANSI_ESCAPES:
            return _ANSI_ESCAPES[code]
        spans = {"x": (16, 2), "u": (16, 4), "U": (16, 8)}
        base, width = spans.get(code, (8, 3))
        start = self.pos if code in spans else self.pos - 1
        allowed = "0123456789abcdefABCDEF" if base == 16 else "01234567"
        end = start
        while end < len(text) and end - start < width and text[end] in allowed:
            end += 1
        if end == start:
            return "\\" + code
        self.pos = end
        return chr(min(int(text[start:end], base), 0x10FFFF))
