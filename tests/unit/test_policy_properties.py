"""Property tests: the shell reader and the policy never raise, never allow what they cannot read, and a
dangerous part keeps its verdict however it is combined or wrapped."""

from __future__ import annotations

import posixpath
import shlex

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.command_policy import CommandContext, judge_command
from bot.domain.pathmatch import PathPattern, resolve_in_worktree
from bot.domain.policy import DEFAULT_POLICY, Policy, PolicyError, classify, load_policy
from bot.domain.shell import parse_command_line, simple_commands
from bot.domain.tool import ToolRequest, Verdict
from bot.domain.values import Mode

WORKTREE = "/srv/hotfix/worktrees/shop/HF-7"
CONTEXT = CommandContext(worktree=WORKTREE)
THOUSANDS = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHELL_LIKE = settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SHELL_PIECES = st.sampled_from([
    " ", " ", "\t", "\n", ";", "&", "&&", "|", "||", "|&", "(", ")", "{", "}", "'", '"', "`", "$", "$(", "${",
    "$((", "))", "<", ">", ">>", "2>&1", "<<", "<<-", "<<<", "<(", ">(", "\\", "#", "=", "*", "~", "..", "/",
    "-c", "-rf", "EOF", "bash", "sh", "eval", "env", "sudo", "xargs", "timeout", "5", "find", "-exec", "\\;",
    "git", "push", "rm", "ls", "cat", "curl", "psql", "DROP", "echo", "x", "X=1", "$'\\x67'", "/etc/passwd",
    "if", "then", "fi", "for", "in", "do", "done", "case", "esac", "function", "!", ":", "\x00", "é", "\r",
])
SHELLISH = st.lists(SHELL_PIECES, max_size=40).map("".join)

SAFE_WORDS = st.sampled_from(["ls", "cat README.md", "git status", "grep -rn x src", "echo hi", "pwd",
                              "git diff", "wc -l src/app.py", "sed -n 1p x", "find . -name x", "true"])
ASKING = st.sampled_from(["make", "python x.py", "npm test", "rm -rf build", "awk 1 x", "docker build ."])
DANGEROUS = st.sampled_from([
    "git push", "git push --force", "rm -rf /", "rm -rf ~", "sudo ls", "pip install x", "npm install",
    "terraform apply", "kubectl delete pod x", "alembic upgrade head", "git reset --hard", "cat /etc/passwd",
    "mkfs.ext4 /dev/sda", "git config --global a b", "docker push x", "helm upgrade x y",
    "python manage.py migrate", "cargo add serde", "shutdown now", "echo x > /etc/x",
])
SEPARATORS = st.sampled_from([" ; ", " && ", " || ", " | ", " & ", "\n"])
WRAPPERS = st.sampled_from([
    "timeout 5 {}", "env X=1 {}", "nohup {}", "nice -n 5 {}", "time {}", "command {}", "exec {}",
    "stdbuf -oL {}", "xargs {}", "bash -c {q}", "sh -c {q}", "eval {q}", "echo $( {} )", "echo `{}`",
    "X=1 {}", "( {} )", "{{ {}; }}", "if true; then {}; fi", "watch {}", "find . -exec {} \\;",
])


def verdict(command: str) -> Verdict:
    return judge_command(command, CONTEXT).verdict


@THOUSANDS
@given(st.text(max_size=300))
def test_shell_reader_never_raises_on_any_text(text: str) -> None:
    line = parse_command_line(text)
    for command in simple_commands(line):
        assert command.words


@SHELL_LIKE
@given(SHELLISH)
def test_shell_reader_never_raises_on_shell_like_text(text: str) -> None:
    line = parse_command_line(text)
    list(simple_commands(line))


@THOUSANDS
@given(st.text(max_size=300))
def test_judge_never_raises_on_any_text(text: str) -> None:
    decision = judge_command(text, CONTEXT)
    assert isinstance(decision.verdict, Verdict)
    assert decision.rule


@SHELL_LIKE
@given(SHELLISH, st.sampled_from(list(Mode)))
def test_judge_never_raises_and_never_allows_what_it_cannot_read(text: str, mode: Mode) -> None:
    decision = judge_command(text, CommandContext(worktree=WORKTREE, mode=mode, cwd="src"))
    if parse_command_line(text).problems:
        assert decision.verdict >= Verdict.ASK


@SOME
@given(st.text(max_size=200), st.sampled_from(["command", "write", "read", "other"]), st.text(max_size=40),
       st.lists(st.text(max_size=40), max_size=3), st.none() | st.text(max_size=20))
def test_classify_never_raises(text: str, kind: str, tool: str, paths: list[str], cwd: str | None) -> None:
    request = ToolRequest(kind=kind, tool=tool, command=text, paths=tuple(paths), cwd=cwd)  # type: ignore[arg-type]
    decision = classify(DEFAULT_POLICY, request, worktree=WORKTREE, mode=Mode.PATCH)
    assert decision.rule != "could not judge the request"


@MANY
@given(st.lists(SAFE_WORDS | ASKING | DANGEROUS, min_size=1, max_size=4), st.lists(SEPARATORS, min_size=3))
def test_the_most_dangerous_part_decides(parts: list[str], separators: list[str]) -> None:
    line = parts[0]
    for separator, part in zip(separators, parts[1:], strict=False):
        line += separator + part
    assert verdict(line) >= max(verdict(part) for part in parts)


@MANY
@given(DANGEROUS, WRAPPERS, WRAPPERS)
def test_wrapping_never_hides_danger(command: str, outer: str, inner: str) -> None:
    wrapped = command
    for template in (inner, outer):
        if "`" in template:  # backticks nest only when the inner ones are escaped
            wrapped = wrapped.replace("\\", "\\\\").replace("`", "\\`")
        wrapped = template.format(wrapped, q=shlex.quote(wrapped))
    assert verdict(wrapped) >= min(verdict(command), Verdict.ESCALATE), wrapped


@MANY
@given(DANGEROUS, st.sampled_from(["'{}'", '"{}"', "\\{}", "{}", "{}''", '{}""']))
def test_quoting_the_command_name_never_hides_danger(command: str, quoting: str) -> None:
    name, _, rest = command.partition(" ")
    assert verdict(f"{quoting.format(name)} {rest}") >= min(verdict(command), Verdict.ESCALATE)


@MANY
@given(st.text(max_size=80), st.none() | st.text(max_size=30))
def test_resolved_paths_stay_inside_the_worktree(path: str, cwd: str | None) -> None:
    resolved = resolve_in_worktree(WORKTREE, path, cwd=cwd)
    if resolved is not None:
        assert resolved == WORKTREE or resolved.startswith(WORKTREE + "/")
        assert posixpath.normpath(resolved) == resolved


@MANY
@given(st.lists(st.sampled_from(["..", ".", "src", "a", "", "/"]), max_size=8).map("/".join))
def test_writes_outside_are_denied(path: str) -> None:
    request = ToolRequest(kind="write", tool="Edit", paths=(path,))
    decision = classify(DEFAULT_POLICY, request, worktree=WORKTREE, mode=Mode.PATCH)
    inside = resolve_in_worktree(WORKTREE, path) is not None
    assert (decision.verdict is Verdict.DENY) or inside


@MANY
@given(st.text(max_size=40), st.text(max_size=60))
def test_path_patterns_never_raise(pattern: str, path: str) -> None:
    PathPattern(pattern).matches(path)


@SOME
@given(st.text(max_size=300))
def test_load_policy_raises_only_policy_errors(text: str) -> None:
    try:
        assert isinstance(load_policy(text), Policy)
    except PolicyError as error:
        assert "\n" not in str(error)
        assert str(error).startswith(".hotfix.toml: ")


TOML_VALUES = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(), st.booleans(), st.text(max_size=10),
    st.lists(st.text(max_size=5), max_size=3), st.lists(st.integers(), max_size=2),
)
KEYS = st.sampled_from([
    "test_command", "allow_commands", "deny_commands", "shared_state_commands", "shared_state_paths", "max_files",
    "max_changed_lines", "max_minutes", "max_cost_usd", "on_approve", "remind_after_minutes", "idle_minutes",
    "escalate_after_minutes", "approval_deadline_minutes", "test_timeout_seconds", "shell_test_command", "other",
])


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode().replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return str(value)


@SOME
@given(st.dictionaries(KEYS, TOML_VALUES, max_size=5))
def test_load_policy_accepts_or_names_the_key(values: dict[str, object]) -> None:
    text = "\n".join(f"{key} = {toml_value(value)}" for key, value in values.items())
    try:
        load_policy(text, source="repo/.hotfix.toml")
    except PolicyError as error:
        assert error.source == "repo/.hotfix.toml"
        assert error.key in values or error.key.startswith("line ")
