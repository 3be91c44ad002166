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
from collections.abc import Iterator
from dataclasses import dataclass

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
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]")
_LEADING_KEYWORDS = frozenset({"!", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "esac"})
_HEADER_KEYWORDS = frozenset({"for", "select", "case", "function"})
_ANSI_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                 "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Word:
    """One word after quote removal. ``dynamic`` when it holds an expansion whose value is only known at run
    time; ``substitutions`` are the command lines it runs (``$( … )``, backticks, ``<( … )``)."""

    text: str
    dynamic: bool = False
    substitutions: tuple[CommandLine, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirect:
    operator: str  # ">", ">>", "&>", "<", "<<", "<<<", ">&" … without the file descriptor
    target: Word
    fd: str = ""
    body: str = ""  # a here-document's text

    @property
    def writes(self) -> bool:
        if self.operator in {">&", "<&"}:
            return self.operator == ">&" and not _is_fd_target(self.target.text)
        return ">" in self.operator


@dataclass(frozen=True, slots=True, kw_only=True)
class SimpleCommand:
    words: tuple[Word, ...]
    assignments: tuple[Word, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    data: tuple[Word, ...] = ()  # words read but not run (`for x in …`, `case … in`)

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)

    @property
    def substitutions(self) -> tuple[CommandLine, ...]:
        words = (*self.words, *self.assignments, *self.data, *(r.target for r in self.redirects))
        return tuple(sub for word in words for sub in word.substitutions)

    @property
    def stdin_text(self) -> str:
        """Here-document and here-string text fed to the command."""
        parts = [r.target.text if r.operator == "<<<" else r.body
                 for r in self.redirects if r.operator.startswith("<<")]
        return "\n".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandLine:
    """``pipelines``: each pipeline is its stages in order; a stage holds the simple commands of one element
    (several when the element is a group). ``problems`` lists what could not be read."""

    text: str
    pipelines: tuple[tuple[tuple[SimpleCommand, ...], ...], ...] = ()
    problems: tuple[str, ...] = ()


def _is_fd_target(text: str) -> bool:
    return text == "-" or text.rstrip("-").isdigit()


def parse_command_line(text: str, *, depth: int = 0) -> CommandLine:
    """Read ``text`` into its pipelines of simple commands. Never raises."""
    if depth > MAX_NESTING:
        return CommandLine(text=text, problems=("commands nested too deeply",))
    lexer = _Lexer(text, depth=depth)
    lexer.run()
    return _Parser(text, lexer.tokens, lexer.problems).parse()


def simple_commands(line: CommandLine) -> Iterator[SimpleCommand]:
    """Every simple command with words the line can run, including those inside substitutions, outermost first.

    Commands without words (a bare redirection, a ``for`` header) are skipped, but what they substitute is not.
    """
    for pipeline in line.pipelines:
        for stage in pipeline:
            for command in stage:
                if command.words:
                    yield command
                for sub in command.substitutions:
                    yield from simple_commands(sub)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word" | "op" | "redir"
    value: str = ""
    word: Word | None = None
    fd: str = ""
    body: str = ""


class _Lexer:
    """Turns text into words, operators and redirections; collects here-document bodies."""

    def __init__(self, text: str, *, depth: int, pos: int = 0, stop_at_paren: bool = False) -> None:
        self.text = text
        self.pos = pos
        self.depth = depth
        self.stop_at_paren = stop_at_paren
        self.tokens: list[_Token] = []
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
            self.tokens.append(_Token("op", "\n"))
            self.pos += 1
            self._read_heredoc_bodies()
        elif char == "#":
            end = text.find("\n", pos)
            self.pos = len(text) if end < 0 else end
        elif char in "<>" and text.startswith("(", pos + 1):
            self.tokens.append(_Token("word", word=self._read_word()))
        elif self._read_redirect() or self._read_operator():
            return
        else:
            self.tokens.append(_Token("word", word=self._read_word()))

    def _read_operator(self) -> bool:
        for op in _OPERATORS:
            if self.text.startswith(op, self.pos):
                if op == ")" and self.stop_at_paren and self.paren_depth == 0:
                    self.closed = True
                    return True
                self.paren_depth += {"(": 1, ")": -1}.get(op, 0)
                self.tokens.append(_Token("op", op))
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
        self.tokens.append(_Token("redir", operator, word=target, fd=fd))
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
            self.tokens[index] = _Token("redir", token.value, word=target, fd=token.fd, body=body)
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
        line = _Parser(body, inner.tokens, inner.problems).parse()
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


class _Parser:
    """Groups tokens into simple commands, stages and pipelines; groups are flattened into their stage."""

    def __init__(self, text: str, tokens: list[_Token], problems: list[str]) -> None:
        self.text = text
        self.tokens = tokens
        self.problems = list(problems)
        self.pipelines: list[tuple[tuple[SimpleCommand, ...], ...]] = []
        self.stages: list[tuple[SimpleCommand, ...]] = []
        self.stage: list[SimpleCommand] = []
        self.words: list[Word] = []
        self.redirects: list[Redirect] = []
        self.group_depth = 0

    def parse(self) -> CommandLine:
        for token in self.tokens:
            if token.kind == "word" and token.word is not None:
                self._add_word(token.word)
            elif token.kind == "redir" and token.word is not None:
                self.redirects.append(
                    Redirect(operator=token.value, target=token.word, fd=token.fd, body=token.body))
            else:
                self._operator(token.value)
        self._end_pipeline()
        if self.group_depth > 0:
            self.problems.append("unbalanced group")
        return CommandLine(text=self.text, pipelines=tuple(self.pipelines), problems=tuple(self.problems))

    def _add_word(self, word: Word) -> None:
        if not self.words and not word.dynamic and word.text in {"{", "}"}:
            self.group_depth += 1 if word.text == "{" else -1
            self._check_depth()
            return
        self.words.append(word)

    def _operator(self, op: str) -> None:
        self._end_command()
        if op in {"|", "|&"}:
            self._end_stage()
        elif op == "(":
            self.group_depth += 1
        elif op == ")":
            self.group_depth -= 1
            self._check_depth()
        elif self.group_depth == 0:
            self._end_pipeline()

    def _check_depth(self) -> None:
        if self.group_depth < 0:
            self.problems.append("unbalanced group")
            self.group_depth = 0

    def _end_command(self) -> None:
        words, redirects = self.words, self.redirects
        self.words, self.redirects = [], []
        while words and not words[0].dynamic and words[0].text in _LEADING_KEYWORDS:
            words.pop(0)
        data: list[Word] = []
        if words and not words[0].dynamic and words[0].text in _HEADER_KEYWORDS:
            data, words = words, []  # `for x in a b`, `case $x in`, `function f`: read, not run
        count = 0
        while count < len(words) and _ASSIGNMENT_RE.match(words[count].text):
            count += 1
        if words or redirects or data:
            self.stage.append(SimpleCommand(words=tuple(words[count:]), assignments=tuple(words[:count]),
                                            redirects=tuple(redirects), data=tuple(data)))

    def _end_stage(self) -> None:
        if self.stage:
            self.stages.append(tuple(self.stage))
        self.stage = []

    def _end_pipeline(self) -> None:
        self._end_command()
        self._end_stage()
        if self.stages:
            self.pipelines.append(tuple(self.stages))
        self.stages = []
