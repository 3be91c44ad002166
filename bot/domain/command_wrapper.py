"""Commands that run other commands: ``env``, ``xargs``, ``timeout``, ``bash -c``, ``find -exec`` and friends.

``unwrap(name, args)`` says what a wrapper runs, so the policy judges that instead of the wrapper. None means
the command is not a wrapper. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.command_rule import SHELLS, git_subcommand

__all__ = ["Unwrapped", "unwrap"]

_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_INTERPRETERS = frozenset({"python", "perl", "ruby", "node", "php"})
_INTERPRETER_CODE_FLAGS = frozenset({"-c", "-e", "-E", "-r", "--eval", "-p", "--print"})
_INTERPRETER_VALUE_FLAGS = frozenset({"-W", "-X", "-I", "-M", "-d", "--require", "-r", "--import", "--loader",
                                      "-x", "-Q"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Unwrapped:
    """What a wrapper runs.

    ``commands``: argv lists it runs; ``scripts``: shell text it runs; ``assignments``: ``NAME=value`` it sets
    for them; ``paths``: paths the wrapper itself uses (``env -C dir``); ``transparent``: False when the
    inner command is not what a person would recognise as running (``python manage.py`` runs a file named
    ``manage.py``), so only its dangers count, never its place on the allow list; ``reads_stdin_script``: a
    shell or interpreter taking its program from standard input.
    """

    commands: tuple[tuple[str, ...], ...] = ()
    scripts: tuple[str, ...] = ()
    assignments: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    transparent: bool = True
    reads_stdin_script: bool = False


def _skip_options(args: tuple[str, ...], value_options: frozenset[str]) -> int:
    """Index of the first argument that is not an option (or an option's value)."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return index + 1
        if not arg.startswith("-") or arg == "-":
            return index
        index += 2 if arg in value_options else 1
    return index


def _inner(args: tuple[str, ...], value_options: frozenset[str] = frozenset()) -> Unwrapped:
    rest = args[_skip_options(args, value_options):]
    return Unwrapped(commands=(rest,) if rest else ())


def _shell(name: str, args: tuple[str, ...]) -> Unwrapped:
    index = 0
    command_flag = False
    while index < len(args) and args[index].startswith(("-", "+")) and args[index] not in {"-", "--"}:
        arg = args[index]
        if arg in {"-o", "+o", "-O", "+O", "--rcfile", "--init-file"}:
            index += 1
        elif not arg.startswith("--") and "c" in arg[1:]:
            command_flag = True
        elif name == "fish" and arg in {"--command"}:
            command_flag = True
        index += 1
    rest = args[index:]
    if rest[:1] == ("--",):
        rest = rest[1:]
    if command_flag:
        return Unwrapped(scripts=rest[:1])
    if not rest or rest[0] == "-" or any(a.startswith("-") and "s" in a[1:] for a in args[:index]):
        return Unwrapped(reads_stdin_script=True)
    return Unwrapped(commands=(rest,), paths=rest[:1], transparent=False)


def _busybox(args: tuple[str, ...]) -> Unwrapped:
    return Unwrapped(commands=(args,)) if args else Unwrapped()


def _interpreter(name: str, args: tuple[str, ...]) -> Unwrapped:
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] != "-":
        arg = args[index]
        if arg == "-m" and name == "python":
            rest = args[index + 1:]
            return Unwrapped(commands=(rest,)) if rest else Unwrapped()
        if arg in _INTERPRETER_CODE_FLAGS or (name == "python" and arg.startswith("-c")):
            return Unwrapped(transparent=False)
        index += 2 if arg in _INTERPRETER_VALUE_FLAGS else 1
    rest = args[index:]
    if not rest or rest[0] == "-":
        return Unwrapped(reads_stdin_script=True, transparent=False)
    return Unwrapped(commands=(rest,), paths=rest[:1], transparent=False)


def _env(args: tuple[str, ...]) -> Unwrapped:
    index = 0
    paths: list[str] = []
    scripts: list[str] = []
    while index < len(args) and args[index].startswith("-"):
        arg = args[index]
        if arg in {"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}:
            value = args[index + 1] if index + 1 < len(args) else ""
            paths += [value] if arg in {"-C", "--chdir"} else []
            scripts += [" ".join(args[index + 1:])] if arg in {"-S", "--split-string"} else []
            index += 2
        elif arg.startswith(("--chdir=", "--split-string=")):
            key, _, value = arg.partition("=")
            paths += [value] if key == "--chdir" else []
            scripts += [" ".join((value, *args[index + 1:]))] if key == "--split-string" else []
            index += 1
        else:
            index += 1
    if scripts:
        return Unwrapped(scripts=tuple(scripts), paths=tuple(paths))
    assignments: list[str] = []
    while index < len(args) and _ASSIGNMENT_RE.match(args[index]):
        assignments.append(args[index])
        index += 1
    rest = args[index:]
    return Unwrapped(commands=(rest,) if rest else (), assignments=tuple(assignments), paths=tuple(paths))


_XARGS_VALUES = frozenset({"-I", "-L", "-l", "-n", "-P", "-s", "-d", "-E", "-e", "-a", "--arg-file",
                           "--delimiter", "--max-args", "--max-lines", "--max-procs", "--max-chars", "--replace",
                           "--eof", "--process-slot-var"})


def _xargs(args: tuple[str, ...]) -> Unwrapped:
    rest = args[_skip_options(args, _XARGS_VALUES):]
    return Unwrapped(commands=(rest or ("echo",),))


def _timeout(args: tuple[str, ...]) -> Unwrapped:
    index = _skip_options(args, frozenset({"-s", "-k", "--signal", "--kill-after"}))
    rest = args[index + 1:]  # skip the duration
    return Unwrapped(commands=(rest,) if rest else ())


def _command(args: tuple[str, ...]) -> Unwrapped | None:
    if any(arg in {"-v", "-V"} for arg in args[:2]):
        return None  # `command -v x` only looks a name up
    return _inner(args)


def _watch(args: tuple[str, ...]) -> Unwrapped:
    values = frozenset({"-n", "--interval", "-q", "--equexit"})
    rest = args[_skip_options(args, values):]
    if any(arg in {"-x", "--exec"} for arg in args[: len(args) - len(rest)]):
        return Unwrapped(commands=(rest,) if rest else ())
    return _joined_script(rest)


def _joined_script(args: tuple[str, ...]) -> Unwrapped:
    """``eval a b`` and ``watch a b`` join their arguments into a script; judge the arguments as a command too,
    since the joined text loses the quoting (``eval bash -c 'git push'``)."""
    if not args:
        return Unwrapped()
    return Unwrapped(commands=(args,) if len(args) > 1 else (), scripts=(" ".join(args),))


def _find(args: tuple[str, ...]) -> Unwrapped:
    commands: list[tuple[str, ...]] = []
    index = 0
    while index < len(args):
        if args[index] in {"-exec", "-execdir", "-ok", "-okdir"}:
            end = index + 1
            while end < len(args) and args[end] not in {";", "+"}:
                end += 1
            commands.append(args[index + 1:end])
            index = end
        index += 1
    return Unwrapped(commands=tuple(c for c in commands if c))


def _runner(args: tuple[str, ...], verbs: frozenset[str]) -> Unwrapped | None:
    """``uv run …``, ``poetry run …``, ``bundle exec …``, ``npm exec …``: the verb, then the command."""
    words = [index for index, arg in enumerate(args) if not arg.startswith("-")]
    if not words or args[words[0]] not in verbs:
        return None
    values = frozenset({"--with", "--python", "-p", "--directory", "--project", "--env-file", "--extra",
                        "--group", "--package", "-n", "--name", "--env", "-e", "-w", "--workspace", "-c"})
    return _inner(args[words[0] + 1:], values)


def _git(args: tuple[str, ...]) -> Unwrapped | None:
    sub, rest, _ = git_subcommand(args)
    words = [arg for arg in rest if not arg.startswith("-")]
    if sub == "submodule" and words[:1] == ["foreach"]:
        return Unwrapped(scripts=(" ".join(words[1:]),))
    if sub == "bisect" and words[:1] == ["run"]:
        return Unwrapped(commands=(tuple(words[1:]),))
    if sub == "rebase":
        scripts = [rest[i + 1] for i, arg in enumerate(rest[:-1]) if arg in {"-x", "--exec"}]
        scripts += [arg.split("=", 1)[1] for arg in rest if arg.startswith("--exec=")]
        return Unwrapped(scripts=tuple(scripts)) if scripts else None
    alias = _git_alias(args, sub)
    if alias is None:
        return None
    if alias.startswith("!"):
        return Unwrapped(scripts=(" ".join((alias[1:], *rest)),))
    return Unwrapped(commands=(("git", *alias.split(), *rest),))


def _git_alias(args: tuple[str, ...], sub: str) -> str | None:
    """The value of ``-c alias.<sub>=…`` given on the command line, if any."""
    for index, arg in enumerate(args[:-1]):
        key, _, value = args[index + 1].partition("=")
        if arg == "-c" and key.lower() == f"alias.{sub}":
            return value
    return None


def _flock(args: tuple[str, ...]) -> Unwrapped:
    scripts = tuple(args[i + 1] for i, arg in enumerate(args[:-1]) if arg in {"-c", "--command"})
    if scripts:
        return Unwrapped(scripts=scripts)
    rest = args[_skip_options(args, frozenset({"-w", "--timeout", "-E", "--conflict-exit-code"})):]
    return Unwrapped(commands=(rest[1:],) if len(rest) > 1 else ())


def _parallel(args: tuple[str, ...]) -> Unwrapped:
    rest = args[_skip_options(args, frozenset({"-j", "--jobs", "-S", "--sshlogin", "--joblog", "-a"})):]
    command = rest[: rest.index(":::")] if ":::" in rest else rest
    return Unwrapped(commands=(command,) if command else (), scripts=(" ".join(command),) if command else ())


def _ssh(args: tuple[str, ...]) -> Unwrapped:
    values = frozenset({"-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-W", "-b", "-c", "-E", "-e", "-m",
                        "-O", "-Q", "-S", "-w", "-B", "-I"})
    rest = args[_skip_options(args, values):]
    return Unwrapped(scripts=(" ".join(rest[1:]),)) if len(rest) > 1 else Unwrapped()


_SIMPLE: dict[str, Callable[[tuple[str, ...]], Unwrapped | None]] = {
    "env": _env, "xargs": _xargs, "timeout": _timeout, "gtimeout": _timeout, "command": _command,
    "watch": _watch, "find": _find, "busybox": _busybox, "git": _git, "ssh": _ssh,
    "alias": lambda a: Unwrapped(scripts=tuple(x.split("=", 1)[1] for x in a if "=" in x)),
    "sudo": lambda a: _inner(a, frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"})),
    "doas": lambda a: _inner(a, frozenset({"-u", "-C"})),
    "nohup": _inner, "builtin": _inner, "unbuffer": _inner, "chronic": _inner, "setsid": _inner, "coproc": _inner,
    "caffeinate": _inner, "firejail": _inner, "proxychains": _inner, "proxychains4": _inner, "torsocks": _inner,
    "entr": _inner, "catchsegv": _inner, "flock": _flock, "parallel": _parallel,
    "strace": lambda a: _inner(a, frozenset({"-o", "-e", "-p", "-s", "-u", "-E", "-P", "-I", "-a", "-b", "-X"})),
    "ltrace": lambda a: _inner(a, frozenset({"-o", "-e", "-p", "-s", "-u", "-n", "-a", "-l", "-x", "-L"})),
    "valgrind": _inner, "hyperfine": lambda a: Unwrapped(scripts=tuple(x for x in a if not x.startswith("-"))),
    "exec": lambda a: _inner(a, frozenset({"-a"})),
    "time": lambda a: _inner(a, frozenset({"-f", "--format", "-o", "--output"})),
    "nice": lambda a: _inner(a, frozenset({"-n", "--adjustment"})),
    "ionice": lambda a: _inner(a, frozenset({"-c", "-n", "--class", "--classdata"})),
    "stdbuf": lambda a: _inner(a, frozenset({"-i", "-o", "-e", "--input", "--output", "--error"})),
    "taskset": lambda a: _inner(a[1:] if a[:1] and not a[0].startswith("-") else a, frozenset({"-c"})),
    "eval": _joined_script,
    "trap": lambda a: Unwrapped(scripts=a[:1]) if a and not a[0].startswith("-") else Unwrapped(),
    "script": lambda a: Unwrapped(scripts=(a[a.index("-c") + 1],)) if "-c" in a[:-1] else None,
    "npx": lambda a: _inner(a, frozenset({"-p", "--package", "-c"})),
    "pnpx": _inner, "bunx": _inner,
    "uv": lambda a: _runner(a, frozenset({"run"})), "poetry": lambda a: _runner(a, frozenset({"run"})),
    "pipenv": lambda a: _runner(a, frozenset({"run"})), "pdm": lambda a: _runner(a, frozenset({"run"})),
    "hatch": lambda a: _runner(a, frozenset({"run"})), "rye": lambda a: _runner(a, frozenset({"run"})),
    "pixi": lambda a: _runner(a, frozenset({"run"})), "conda": lambda a: _runner(a, frozenset({"run"})),
    "bundle": lambda a: _runner(a, frozenset({"exec"})), "npm": lambda a: _runner(a, frozenset({"exec", "x"})),
    "pnpm": lambda a: _runner(a, frozenset({"exec", "dlx"})), "yarn": lambda a: _runner(a, frozenset({"exec", "dlx"})),
}


def unwrap(name: str, args: tuple[str, ...]) -> Unwrapped | None:
    """What the wrapper ``name`` (from ``command_name``) runs with ``args``; None when it is not a wrapper."""
    if name in SHELLS and name != "busybox":
        return _shell(name, args)
    if name in _INTERPRETERS:
        return _interpreter(name, args)
    handler = _SIMPLE.get(name)
    if handler is None:
        return None
    result = handler(args)
    if result is not None and name in {"npx", "pnpx", "bunx"}:
        return Unwrapped(commands=result.commands, transparent=False)
    return result
