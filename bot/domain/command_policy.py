"""Judging a command line: every simple command it can run, unwrapped, against built-in and repository rules.

The most dangerous part decides (DENY > ESCALATE > ASK > ALLOW). Repository rules add denials, escalations and
allowances; they never relax a built-in denial or escalation. Standard library only; never raises on text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

from bot.domain.command_effect import (
    computed_arguments,
    is_safe_device,
    modifies_files,
    path_arguments,
    read_only_rule,
)
from bot.domain.command_rule import (
    DB_CLIENTS,
    DOWNLOADERS,
    SCRIPT_RUNNERS,
    builtin_danger,
    command_name,
    positionals,
)
from bot.domain.command_wrapper import Unwrapped, unwrap
from bot.domain.file_access import OUTSIDE_WORKTREE, judge_read, judge_write, no_edits_rule
from bot.domain.pathmatch import relative_path, resolve_in_worktree
from bot.domain.shared_state import is_secret_like
from bot.domain.shell import MAX_NESTING, CommandLine, Redirect, SimpleCommand, parse_command_line, simple_commands
from bot.domain.tool import Decision, Verdict
from bot.domain.values import Mode

__all__ = ["NOT_ALLOWED", "PARSE_RULE", "CommandContext", "combine", "judge_command", "test_command_texts"]

NOT_ALLOWED = "not on the allow list"
PARSE_RULE = "could not parse the command"
POLICY_FILE_RULE = "built-in: the agent may not change its own policy (.hotfix.toml)"
_MAX_REASONS = 8
_MAX_SUBJECT = 160
_FORK_BOMB_RE = re.compile(r"(?<![\w:.-])([\w:.-]{1,40})\s*\(\s*\)\s*\{[^}]{0,200}?\1\s*\|\s*&?\s*\1")
_ASSIGNMENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_NOT_COMMANDS = frozenset({"{", "}", "(", ")", "!", "if", "then", "else", "elif", "do", "while", "until"})
_DB_DESTRUCTIVE_RE = re.compile(r"\b(?:drop|truncate|flushall|flushdb)\b|dropdatabase|\.drop\(", re.IGNORECASE)
_ENV_OVERRIDE_RE = re.compile(
    r"(?:PATH|LD_\w+|DYLD_\w+|BASH_ENV|ENV|IFS|PROMPT_COMMAND|SHELLOPTS|BASHOPTS|PS4|GIT_\w+|\w*PAGER|EDITOR"
    r"|VISUAL|PERL5OPT|PERL5LIB|NODE_OPTIONS|PYTHONSTARTUP|PYTHONINSPECT|RUBYOPT)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandContext:
    """Everything the judge needs besides the command: where, in which mode, under which repository rules."""

    worktree: str
    cwd: str | None = None
    mode: Mode = Mode.PATCH
    test_commands: frozenset[str] = frozenset()
    allow_commands: tuple[str, ...] = ()
    deny_commands: tuple[str, ...] = ()
    shared_state_commands: tuple[str, ...] = ()
    shared_state_paths: tuple[str, ...] = ()

    def outside(self, path: str) -> bool:
        return resolve_in_worktree(self.worktree, path, cwd=self.cwd) is None


def _normalise(text: str) -> str:
    return " ".join(text.split())


@functools.lru_cache(maxsize=64)
def test_command_texts(test_command: str | None) -> frozenset[str]:
    """The policy's test command as whole lines and as each simple command in it, whitespace normalised."""
    if not test_command or not test_command.strip():
        return frozenset()
    texts = {_normalise(test_command)}
    line = parse_command_line(test_command)
    texts.update(_normalise(" ".join(c.argv)) for c in simple_commands(line) if c.words)
    return frozenset(texts)


def judge_command(command: str, context: CommandContext) -> Decision:
    """The decision for a whole command line."""
    parts = _judge_line(parse_command_line(command), context, 0)
    if context.cwd is not None and resolve_in_worktree(context.worktree, context.cwd) is None:
        parts.append(_part(Verdict.DENY, OUTSIDE_WORKTREE, f"working directory {context.cwd}"))
    return combine(parts or [_part(Verdict.ASK, "empty command", command)])


def combine(parts: Iterable[Decision]) -> Decision:
    """Most severe part wins; its rule is the decision's rule; reasons list the parts, most severe first."""
    ordered = sorted(parts, key=lambda part: -part.verdict)
    if not ordered:
        return Decision(verdict=Verdict.ASK, rule=PARSE_RULE)
    reasons: list[str] = []
    for part in ordered:
        text = f"{part.rule}: {part.reasons[0]}" if part.reasons else part.rule
        if text not in reasons and len(reasons) < _MAX_REASONS:
            reasons.append(text)
    return Decision(verdict=ordered[0].verdict, rule=ordered[0].rule, reasons=tuple(reasons))


def _part(verdict: Verdict, rule: str, subject: str = "") -> Decision:
    if len(subject) > _MAX_SUBJECT:
        subject = subject[: _MAX_SUBJECT - 1] + "…"
    return Decision(verdict=verdict, rule=rule, reasons=(subject,) if subject else ())


def _judge_line(line: CommandLine, context: CommandContext, depth: int) -> list[Decision]:
    parts: list[Decision] = []
    if line.problems:
        parts.append(_part(Verdict.ASK, PARSE_RULE, line.problems[0]))
    if "(" in line.text and "|" in line.text and _FORK_BOMB_RE.search(line.text):
        parts.append(_part(Verdict.DENY, "built-in: fork bomb", line.text))
    here = context
    for index, pipeline in enumerate(line.pipelines):
        parts += _judge_pipeline(pipeline, line.text, here, depth)
        before = line.separators[index] if index < len(line.separators) else ";"
        after = line.separators[index + 1] if index + 1 < len(line.separators) else ";"
        moved = _directory_change(pipeline, here, before)
        if after != "&&":
            here = context
        elif moved is not None:
            here = replace(context, cwd=moved)
    return parts


def _directory_change(pipeline: tuple[tuple[SimpleCommand, ...], ...], context: CommandContext,
                      before: str) -> str | None:
    """Where ``cd DIR`` moves the commands chained after it with ``&&`` (when it surely ran first)."""
    if before == "||" or len(pipeline) != 1 or len(pipeline[0]) != 1:
        return None
    (command,) = pipeline[0]
    if command.grouped or command.argv[:1] != ("cd",) or len(command.words) != 2 or command.words[1].dynamic:
        return None
    target = command.argv[1]
    if target.startswith("-"):
        return None
    return resolve_in_worktree(context.worktree, target, cwd=context.cwd)


def _judge_pipeline(pipeline: tuple[tuple[SimpleCommand, ...], ...], text: str, context: CommandContext,
                    depth: int) -> list[Decision]:
    parts: list[Decision] = []
    download_upstream = False
    for stage in pipeline:
        stage_downloads = False
        for command in stage:
            parts += _judge_simple(command, context, depth)
            names, reads_stdin = _reach(command.argv, depth)
            subject = " ".join(command.argv)
            named = names | {command_name(word) for word in command.argv}
            if download_upstream and reads_stdin:
                parts.append(_part(Verdict.DENY, "built-in: piping a download into a shell", subject))
            if named & DB_CLIENTS and _DB_DESTRUCTIVE_RE.search(text):
                parts.append(_part(Verdict.ESCALATE, "built-in: DROP/TRUNCATE through a database client", subject))
            runs_script = bool(names & SCRIPT_RUNNERS) or bool(command.words and command.words[0].dynamic)
            if runs_script and _substitutes_download(command):
                parts.append(_part(Verdict.DENY, "built-in: running a download as a script", subject))
            stage_downloads = stage_downloads or bool(names & DOWNLOADERS)
        download_upstream = download_upstream or stage_downloads
    return parts


def _reach(argv: tuple[str, ...], depth: int) -> tuple[set[str], bool]:
    """Names of every command ``argv`` runs through wrappers, and whether one reads a script from stdin."""
    names: set[str] = set()
    reads_stdin = False
    pending = [(argv, depth)]
    while pending:
        current, level = pending.pop()
        if not current or level > MAX_NESTING:
            continue
        name = command_name(current[0])
        names.add(name)
        wrapped = unwrap(name, current[1:])
        if wrapped is not None:
            reads_stdin = reads_stdin or wrapped.reads_stdin_script
            pending += [(inner, level + 1) for inner in wrapped.commands]
    return names, reads_stdin


def _substitutes_download(command: SimpleCommand) -> bool:
    return any(inner.words and command_name(inner.argv[0]) in DOWNLOADERS
               for sub in command.substitutions for inner in simple_commands(sub))


def _judge_simple(command: SimpleCommand, context: CommandContext, depth: int) -> list[Decision]:
    parts: list[Decision] = []
    for sub in command.substitutions:
        parts += _judge_line(sub, context, depth + 1)
    for redirect in command.redirects:
        parts += _judge_redirect(redirect, context)
    overrides = tuple(name for word in command.assignments
                      if _ENV_OVERRIDE_RE.fullmatch(name := word.text.split("=", 1)[0].split("[", 1)[0]))
    if not command.words:
        return parts
    if any("@P}" in word.text for word in command.words if word.dynamic):
        parts.append(_part(Verdict.ASK, "prompt expansion runs computed commands", " ".join(command.argv)))
    if command.words[0].dynamic:
        subject = " ".join(command.argv)
        parts.append(_part(Verdict.ASK, "command name is computed at run time", subject))
        parts += [_part(Verdict.DENY, OUTSIDE_WORKTREE, subject)
                  for path in path_arguments("", command.argv[1:]) if context.outside(path)]
        return parts
    return parts + _judge_argv(command.argv, context, depth, overrides)


def _judge_redirect(redirect: Redirect, context: CommandContext) -> list[Decision]:
    target = redirect.target
    if redirect.operator.startswith("<<") or redirect.operator == "<&":
        return []
    if redirect.operator == ">&" and not redirect.writes:
        return []
    subject = f"{redirect.fd}{redirect.operator} {target.text}"
    if target.dynamic:
        return [_part(Verdict.ASK, "redirect to a computed path", subject)]
    if is_safe_device(target.text):
        return []
    if redirect.writes:
        decision = judge_write(target.text, worktree=context.worktree, cwd=context.cwd, mode=context.mode,
                               extra_shared=context.shared_state_paths)
    else:
        decision = judge_read(target.text, worktree=context.worktree, cwd=context.cwd)
    if decision.verdict is Verdict.ALLOW:
        return []
    return [_part(decision.verdict, decision.rule, subject)]


def _layer_texts(argv: tuple[str, ...]) -> tuple[str, ...]:
    typed = _normalise(" ".join(argv))
    short = _normalise(" ".join((command_name(argv[0]), *argv[1:])))
    return (typed, short) if short != typed else (typed,)


def _repository_rules(texts: tuple[str, ...], context: CommandContext) -> list[Decision]:
    lowered = tuple(text.lower() for text in texts)
    parts = [_part(Verdict.DENY, f"deny_commands: {pattern}", texts[0]) for pattern in context.deny_commands
             if any(fnmatchcase(text, pattern.lower()) for text in lowered)]
    parts += [_part(Verdict.ESCALATE, f"shared_state_commands: {pattern}", texts[0])
              for pattern in context.shared_state_commands
              if any(fnmatchcase(text, pattern.lower()) for text in lowered)]
    return parts


def _allowance(texts: tuple[str, ...], name: str, args: tuple[str, ...], context: CommandContext,
               overrides: tuple[str, ...]) -> Decision | None:
    rule: str | None = None
    if any(text in context.test_commands for text in texts):
        rule = "test_command"
    if rule is None:
        rule = next((f"allow_commands: {pattern}" for pattern in context.allow_commands
                     if any(fnmatchcase(text, pattern) for text in texts)), None)
    rule = rule or read_only_rule(name, args)
    if rule is None:
        return None
    if overrides:
        return _part(Verdict.ASK, f"built-in: environment override ({', '.join(overrides)})", texts[0])
    return _part(Verdict.ALLOW, rule, texts[0])


def _judge_argv(argv: tuple[str, ...], context: CommandContext, depth: int,
                overrides: tuple[str, ...]) -> list[Decision]:
    while len(argv) > 1 and (_ASSIGNMENT_RE.match(argv[0]) or argv[0] in _NOT_COMMANDS):
        argv = argv[1:]  # `xargs X=1 cmd`, `timeout 5 { cmd` fail in a real shell; judge cmd anyway
    texts = _layer_texts(argv)
    if depth > MAX_NESTING:
        return [_part(Verdict.ASK, PARSE_RULE, "commands nested too deeply")]
    name, args = command_name(argv[0]), argv[1:]
    parts = _repository_rules(texts, context)
    danger = builtin_danger(name, args, is_outside=context.outside)
    if danger is not None:
        parts.append(_part(danger[0], danger[1], texts[0]))
        if danger[1].startswith("built-in: package install") and context.mode is not Mode.PATCH:
            parts.append(_part(Verdict.DENY, no_edits_rule(context.mode), texts[0]))  # manifests, lockfiles
    wrapped = unwrap(name, args)
    if wrapped is None or name in {"find", "git"}:
        parts += _effects(name, args, context, texts[0])
    else:
        parts += [_part(Verdict.DENY, OUTSIDE_WORKTREE, texts[0]) for p in wrapped.paths if context.outside(p)]
        if context.mode is not Mode.PATCH and modifies_files(name, args):
            parts.append(_part(Verdict.DENY, no_edits_rule(context.mode), texts[0]))
    allowance = _allowance(texts, name, args, context, overrides)
    if allowance is None and any(".hotfix.toml" in arg for arg in args):
        parts.append(_part(Verdict.DENY, POLICY_FILE_RULE, texts[0]))
    if allowance is not None:
        parts.append(allowance)
    if wrapped is None:
        return parts + ([] if allowance is not None else [_part(Verdict.ASK, NOT_ALLOWED, texts[0])])
    return parts + _wrapped_parts(wrapped, allowance, context, depth, overrides, texts[0])


def _wrapped_parts(wrapped: Unwrapped, allowance: Decision | None, context: CommandContext, depth: int,
                   overrides: tuple[str, ...], subject: str) -> list[Decision]:
    inner_overrides = overrides + tuple(
        name for assignment in wrapped.assignments if _ENV_OVERRIDE_RE.fullmatch(name := assignment.split("=")[0]))
    inner: list[Decision] = []
    for argv in wrapped.commands:
        inner += _judge_argv(argv, context, depth + 1, inner_overrides) if argv else []
    for script in wrapped.scripts:
        inner += _judge_line(parse_command_line(script, depth=depth + 1), context, depth + 1)
    decided_outside = allowance is not None and allowance.verdict is Verdict.ALLOW
    if decided_outside or not wrapped.transparent:
        inner = [p for p in inner if p.verdict is not Verdict.ALLOW and p.rule != NOT_ALLOWED]
    if allowance is None and (not wrapped.transparent or not (wrapped.commands or wrapped.scripts)):
        inner.append(_part(Verdict.ASK, NOT_ALLOWED, subject))
    return inner


def _effects(name: str, args: tuple[str, ...], context: CommandContext, subject: str) -> list[Decision]:
    """Paths outside the worktree, writes into .git/ or the policy file, edits in diagnose/plan, secrets."""
    parts = [_part(Verdict.DENY, OUTSIDE_WORKTREE, subject)
             for path in path_arguments(name, args) if context.outside(path)]
    if name in {"cd", "pushd"} and not positionals(args):
        parts.append(_part(Verdict.DENY, OUTSIDE_WORKTREE, f"{subject} (the home directory)"))
    if modifies_files(name, args):
        for word in positionals(args):
            resolved = resolve_in_worktree(context.worktree, word, cwd=context.cwd)
            relative = relative_path(context.worktree, resolved) if resolved else ""
            if ".git" in relative.split("/"):
                parts.append(_part(Verdict.DENY, "built-in: writes into .git/", subject))
            if relative.split("/")[-1] == ".hotfix.toml":
                parts.append(_part(Verdict.DENY, POLICY_FILE_RULE, subject))
        if context.mode is not Mode.PATCH:
            parts.append(_part(Verdict.DENY, no_edits_rule(context.mode), subject))
    elif read_only_rule(name, args) is not None:
        secrets = [word for word in positionals(args) if is_secret_like(word)]
        if secrets:
            parts.append(_part(Verdict.ASK, f"built-in: secrets-like file ({secrets[0]})", subject))
        if computed_arguments(name, args):
            parts.append(_part(Verdict.ASK, "path computed at run time", subject))
    return parts
