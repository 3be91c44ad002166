"""The shell reader: every simple command a line can run, after quote removal, with redirections and nesting."""

from __future__ import annotations

import re

import bashlex
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from bot.domain.shell import MAX_NESTING, CommandLine, parse_command_line, simple_commands


def argvs(text: str) -> list[tuple[str, ...]]:
    return [command.argv for command in simple_commands(parse_command_line(text))]


def stages(text: str) -> list[list[list[tuple[str, ...]]]]:
    line = parse_command_line(text)
    return [[[command.argv for command in stage] for stage in pipeline] for pipeline in line.pipelines]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ls", [("ls",)]),
        ("ls -la  src", [("ls", "-la", "src")]),
        ("ls && git push", [("ls",), ("git", "push")]),
        ("ls || git push", [("ls",), ("git", "push")]),
        ("ls; git push", [("ls",), ("git", "push")]),
        ("ls & git push", [("ls",), ("git", "push")]),
        ("ls\ngit push", [("ls",), ("git", "push")]),
        ("ls | grep x", [("ls",), ("grep", "x")]),
        ("ls |& grep x", [("ls",), ("grep", "x")]),
        ("(cd a; ls)", [("cd", "a"), ("ls",)]),
        ("{ cd a; ls; }", [("cd", "a"), ("ls",)]),
        ("echo $(git push)", [("echo", "$(git push)"), ("git", "push")]),
        ("echo `git push`", [("echo", "`git push`"), ("git", "push")]),
        ("echo \"a $(git push) b\"", [("echo", "a $(git push) b"), ("git", "push")]),
        ("diff <(ls) >(git push)", [("diff", "<(…)", ">(…)"), ("ls",), ("git", "push")]),
        ("echo $(echo $(git push))", [("echo", "$(echo $(git push))"), ("echo", "$(git push)"), ("git", "push")]),
        ("echo ${X:-$(git push)}", [("echo", "${X:-$(git push)}"), ("git", "push")]),
        ("echo $((1 + 2))", [("echo", "$((1 + 2))")]),
        ("echo $( (git push) )", [("echo", "$( (git push) )"), ("git", "push")]),
        ("echo $(( $(git push) + 1 ))", [("echo", "$(( $(git push) + 1 ))"), ("git", "push")]),
        ("g'i't push", [("git", "push")]),
        ('"git" "push"', [("git", "push")]),
        ("g\\it push", [("git", "push")]),
        ("$'\\x67it' push", [("git", "push")]),
        ("$'\\147it' push", [("git", "push")]),
        ("$'git\\tpush'", [("git\tpush",)]),
        ("git \\\npush", [("git", "push")]),
        ("echo 'a # b' # comment", [("echo", "a # b")]),
        ("X=1 Y=2 git push", [("git", "push")]),
        ("if true; then git push; fi", [("true",), ("git", "push")]),
        ("while true; do git push; done", [("true",), ("git", "push")]),
        ("for f in $(ls); do cat \"$f\"; done", [("ls",), ("cat", "$f")]),
        ("! git push", [("git", "push")]),
        ("f() { git push; }; f", [("f",), ("git", "push"), ("f",)]),
        ("echo a\\;b", [("echo", "a;b")]),
        ("", []),
        ("   \n\t ", []),
    ],
)
def test_splits_into_simple_commands(text: str, expected: list[tuple[str, ...]]) -> None:
    assert argvs(text) == expected


def test_pipelines_and_stages_keep_groups_together() -> None:
    assert stages("(curl x; echo) | sh && ls") == [[[("curl", "x"), ("echo",)], [("sh",)]], [[("ls",)]]]
    assert stages("{ curl x; } | bash") == [[[("curl", "x")], [("bash",)]]]
    assert stages("a | b | c; d") == [[[("a",)], [("b",)], [("c",)]], [[("d",)]]]


def test_separators_and_groups_are_recorded() -> None:
    line = parse_command_line("a && b || c; d & e\nf")
    assert line.separators == ("", "&&", "||", ";", "&", "\n")
    grouped = parse_command_line("(cd a); { cd b; }; cd c")
    assert [c.grouped for c in simple_commands(grouped)] == [True, True, False]


def test_assignments_are_kept_apart_from_the_command() -> None:
    line = parse_command_line("PATH=/tmp X=$(id) ls -l")
    ((command,),) = line.pipelines[0]
    assert command.argv == ("ls", "-l")
    assert [word.text for word in command.assignments] == ["PATH=/tmp", "X=$(id)"]
    assert [c.argv for c in simple_commands(parse_command_line("X=$(id) ls"))] == [("ls",), ("id",)]


@pytest.mark.parametrize(
    ("text", "operator", "fd", "target", "writes"),
    [
        ("echo x > out", ">", "", "out", True),
        ("echo x >> out", ">>", "", "out", True),
        ("echo x 2> err", ">", "2", "err", True),
        ("echo x &> all", "&>", "", "all", True),
        ("echo x &>> all", "&>>", "", "all", True),
        ("echo x >| out", ">|", "", "out", True),
        ("echo x >& out", ">&", "", "out", True),
        ("echo x 2>&1", ">&", "2", "1", False),
        ("cat < in", "<", "", "in", False),
        ("cat <> rw", "<>", "", "rw", True),
        ("echo x >'/etc/x y'", ">", "", "/etc/x y", True),
        ("echo x {fd}> out", ">", "{fd}", "out", True),
    ],
)
def test_redirections(text: str, operator: str, fd: str, target: str, writes: bool) -> None:
    (command,) = simple_commands(parse_command_line(text))
    redirect = command.redirects[-1]
    assert (redirect.operator, redirect.fd, redirect.target.text, redirect.writes) == (operator, fd, target, writes)


def test_here_document_body_is_stdin_not_commands() -> None:
    line = parse_command_line("psql <<'SQL'\nDROP TABLE users;\nSQL\necho done")
    assert [c.argv for c in simple_commands(line)] == [("psql",), ("echo", "done")]
    assert "DROP TABLE users;" in next(iter(simple_commands(line))).stdin_text
    assert not line.problems


def test_unquoted_here_document_runs_its_substitutions() -> None:
    line = parse_command_line("cat <<EOF\nvalue $(git push)\nEOF")
    assert ("git", "push") in [c.argv for c in simple_commands(line)]
    quoted = parse_command_line("cat <<'EOF'\nvalue $(git push)\nEOF")
    assert ("git", "push") not in [c.argv for c in simple_commands(quoted)]


def test_here_string_is_stdin() -> None:
    (command,) = simple_commands(parse_command_line("psql <<< 'drop table x'"))
    assert command.stdin_text == "drop table x"


def test_dynamic_words_are_marked() -> None:
    (command,) = simple_commands(parse_command_line("$CMD push 'lit$x' \"$y\""))
    assert [word.dynamic for word in command.words] == [True, False, False, True]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("echo 'open", "unbalanced single quote"),
        ('echo "open', "unbalanced double quote"),
        ("echo `open", "unbalanced backtick"),
        ("echo $(open", "unbalanced parenthesis"),
        ("echo ${open", "unbalanced ${"),
        ("(ls", "unbalanced group"),
        ("ls )", "unbalanced group"),
        ("ls >", "redirection > has no target"),
    ],
)
def test_unreadable_input_is_reported_not_raised(text: str, problem: str) -> None:
    assert problem in parse_command_line(text).problems


def test_nesting_is_bounded() -> None:
    deep = "echo " + "$(" * (MAX_NESTING + 3) + "git push" + ")" * (MAX_NESTING + 3)
    line = parse_command_line(deep)
    assert "commands nested too deeply" in line.problems
    assert isinstance(line, CommandLine)


def test_backtick_nesting_is_bounded() -> None:
    deep = "echo " + "`echo \\" * 3 + "`"
    assert isinstance(parse_command_line(deep), CommandLine)
    too_deep = parse_command_line("x", depth=MAX_NESTING + 1)
    assert too_deep.problems == ("commands nested too deeply",)


# --- differential check against bashlex (a bash parser port) on well-formed lines -------------------------------

_WORDS = st.sampled_from(["ls", "git", "push", "'a b'", '"c d"', "x\\ y", "$(echo hi)", "`pwd`", "--flag", "-rf",
                          "f.txt", "a=b", '"$(git push)"', "${X:-y}"])
_SEPARATORS = st.sampled_from([" && ", " || ", " ; ", " | ", " & ", "\n"])


@st.composite
def _well_formed_lines(draw: st.DrawFn) -> str:
    commands = draw(st.lists(st.lists(_WORDS, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=4))
    line = commands[0]
    for command in commands[1:]:
        line += draw(_SEPARATORS) + command
    if draw(st.booleans()):
        line = f"( {line} )"
    if draw(st.booleans()):
        line = f"echo $( {line.replace(chr(10), ' ; ')} )"  # bashlex misreads newlines inside $( )
    return line


class _BashlexCommands(bashlex.ast.nodevisitor):
    def __init__(self) -> None:
        self.commands: list[tuple[str, ...]] = []

    def visitcommand(self, node: object, parts: list[bashlex.ast.node]) -> None:
        words = [part.word for part in parts if part.kind == "word"]
        while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
            words.pop(0)
        if words:
            self.commands.append(tuple(words))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_well_formed_lines())
def test_same_commands_as_bashlex(line: str) -> None:
    try:
        trees = bashlex.parse(line)
    except bashlex.errors.ParsingError:
        reject()  # bashlex has its own gaps (e.g. `&&` inside `$( )`); compare only what it reads
    visitor = _BashlexCommands()
    for tree in trees:
        visitor.visit(tree)
    mine = [command.argv for command in simple_commands(parse_command_line(line))]
    assert sorted(mine) == sorted(visitor.commands)
