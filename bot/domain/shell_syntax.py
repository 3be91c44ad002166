"""The values the shell reader produces, and the parser that groups tokens into them. Standard library only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["CommandLine", "Redirect", "SimpleCommand", "Token", "TokenParser", "Word", "simple_commands"]

_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_LEADING_KEYWORDS = frozenset({"!", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "esac"})
_HEADER_KEYWORDS = frozenset({"for", "select", "case", "function"})


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
    grouped: bool = False  # inside `( … )` or `{ …; }`

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
    separators: tuple[str, ...] = ()  # the operator before each pipeline ("" for the first): ";", "&&", "||", …
    problems: tuple[str, ...] = ()


def _is_fd_target(text: str) -> bool:
    return text == "-" or text.rstrip("-").isdigit()


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
class Token:
    kind: str  # "word" | "op" | "redir"
    value: str = ""
    word: Word | None = None
    fd: str = ""
    body: str = ""


class TokenParser:
    """Groups tokens into simple commands, stages and pipelines; groups are flattened into their stage."""

    def __init__(self, text: str, tokens: list[Token], problems: list[str]) -> None:
        self.text = text
        self.tokens = tokens
        self.problems = list(problems)
        self.pipelines: list[tuple[tuple[SimpleCommand, ...], ...]] = []
        self.stages: list[tuple[SimpleCommand, ...]] = []
        self.stage: list[SimpleCommand] = []
        self.words: list[Word] = []
        self.redirects: list[Redirect] = []
        self.group_depth = 0
        self.separators: list[str] = []
        self.separator = ""

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
        return CommandLine(text=self.text, pipelines=tuple(self.pipelines), separators=tuple(self.separators),
                           problems=tuple(self.problems))

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
            self.separator = op

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
                                            redirects=tuple(redirects), data=tuple(data),
                                            grouped=self.group_depth > 0))

    def _end_stage(self) -> None:
        if self.stage:
            self.stages.append(tuple(self.stage))
        self.stage = []

    def _end_pipeline(self) -> None:
        self._end_command()
        self._end_stage()
        if self.stages:
            self.pipelines.append(tuple(self.stages))
            self.separators.append(self.separator)
        self.stages = []
