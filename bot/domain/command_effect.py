"""What one unwrapped command does to files: read-only (safe to allow), writes (no edits in diagnose/plan), and
which of its arguments are paths to keep inside the worktree. Standard library only."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from bot.domain.command_rule import expand_braces, git_subcommand, positionals

__all__ = ["computed_arguments", "is_safe_device", "modifies_files", "path_arguments", "read_only_rule"]

_READ_ONLY = frozenset({
    "ls", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "rg", "find", "pwd", "echo", "printf", "diff",
    "sort", "uniq", "cut", "tr", "file", "stat", "which", "true", "false", "test", "[", "[[", "basename",
    "dirname", "realpath", "readlink", "tree", "jq", "sed", "git", "cd", "nl", "cmp", "comm", "tac", "rev",
    "column", "paste", "seq", "date", "uname", "du", "md5sum", "sha1sum", "sha256sum", "sha512sum", "od",
    "hexdump", ":", "type", "whoami", "expr", "command",
})
_GIT_READ_ONLY = frozenset({"status", "diff", "log", "show", "blame", "grep", "ls-files", "rev-parse", "ls-tree",
                            "cat-file", "rev-list", "describe", "shortlog", "show-ref", "merge-base"})
_GIT_UNSAFE_OPTIONS = ("--output", "--ext-diff", "-O", "--open-files-in-pager", "--exec")
_GIT_WRITERS = frozenset({"add", "rm", "mv", "commit", "checkout", "switch", "restore", "reset", "stash", "apply",
                          "am", "merge", "cherry-pick", "revert", "rebase", "clean", "pull", "init", "clone",
                          "worktree", "tag", "submodule", "sparse-checkout", "notes", "update-index", "gc", "prune",
                          "branch", "config", "filter-branch", "filter-repo", "update-ref", "replace", "fetch"})
_WRITERS = frozenset({
    "rm", "rmdir", "mv", "cp", "touch", "mkdir", "ln", "chmod", "chown", "chgrp", "truncate", "install", "patch",
    "shred", "unlink", "rsync", "unzip", "gunzip", "gzip", "bzip2", "bunzip2", "xz", "unxz", "zip", "tar", "7z",
    "black", "isort", "autoflake", "pyupgrade", "rustfmt", "dos2unix", "unix2dos", "mkfifo", "mknod", "split",
    "csplit", "wget", "ed", "ex", "vi", "vim", "nvim", "nano", "emacs",
})
_NO_PATH_ARGUMENTS = frozenset({"echo", "printf", "true", "false", "basename", "dirname", "which", "type", "seq",
                                "date", "expr", ":", "command", "uname", "whoami"})
_PATTERN_FIRST = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk", "gawk", "mawk", "jq"})
_PATTERN_FLAGS = frozenset({"-e", "-f", "--regexp", "--file", "--expression"})
_TEXT_VALUE_OPTIONS = frozenset({
    "--message", "--grep", "--format", "--pretty", "--regexp", "--author", "--committer", "--since", "--until",
    "--include", "--exclude", "--glob", "--iglob", "--type", "--title", "--body", "--date", "--header",
    "--data-raw", "--json", "--expression", "--arg", "--argjson",
})
_TEXT_SHORT_OPTIONS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("grep", "egrep", "fgrep", "rg", "ag", "ack"), frozenset({"-e", "-g", "-t"})),
    "git": frozenset({"-m", "-S", "-G", "-e"}), "sed": frozenset({"-e"}), "curl": frozenset({"-H"}),
    "date": frozenset({"-d"}), "gh": frozenset({"-t", "-b", "-m"}), "glab": frozenset({"-t", "-m"}),
    "find": frozenset({"-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-wholename", "-lname"}),
}
_SAFE_DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty", "/dev/zero",
                           "/dev/urandom", "/dev/random"})
_ADDRESS = r"(?:\d+(?:~\d+)?|\$|/(?:[^/\\\n]|\\.)*/I?)"
_SED_PRINT_RE = re.compile(rf"^\s*(?:{_ADDRESS}(?:\s*,\s*(?:{_ADDRESS}|\+\d+))?)?\s*!?\s*[pPl=qQ]?\s*$")
_SED_SUBSTITUTE_RE = re.compile(
    rf"^\s*(?:{_ADDRESS}(?:\s*,\s*{_ADDRESS})?)?\s*s([^\\\n\w\s])(?:(?!\1)[^\\]|\\.)*\1(?:(?!\1)[^\\]|\\.)*\1"
    r"[gpiImM0-9]*\s*$"
)


def _has_option(args: tuple[str, ...], *options: str) -> bool:
    return any(arg == option or arg.startswith(option + "=") for arg in args for option in options)


def _short_flag(args: tuple[str, ...], flag: str) -> bool:
    return any(arg.startswith("-") and not arg.startswith("--") and flag in arg[1:] for arg in args)


def _sed_scripts(args: tuple[str, ...]) -> tuple[str, ...] | None:
    scripts = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in {"-e", "--expression"}]
    scripts += [arg.split("=", 1)[1] for arg in args if arg.startswith("--expression=")]
    if _has_option(args, "-f", "--file"):
        return None
    if not scripts:
        words = positionals(args)
        scripts = list(words[:1])
    return tuple(scripts)


def _sed_is_read_only(args: tuple[str, ...]) -> bool:
    quiet = _short_flag(args, "n") or _has_option(args, "--quiet", "--silent")
    if not quiet or _short_flag(args, "i") or _has_option(args, "--in-place"):
        return False
    scripts = _sed_scripts(args)
    if not scripts:
        return False
    parts = [part for script in scripts for part in re.split(r"[;\n]", script)]
    return all(_SED_PRINT_RE.match(part) or _SED_SUBSTITUTE_RE.match(part) for part in parts)


def _git_is_read_only(args: tuple[str, ...]) -> bool:
    sub, rest, configured = git_subcommand(args)
    if configured or any(arg.startswith(_GIT_UNSAFE_OPTIONS) for arg in args):
        return False
    if sub == "branch":
        return not positionals(rest) and not _has_option(rest, "-d", "-D", "-m", "-M", "-c", "-C", "-f", "-u")
    return sub in _GIT_READ_ONLY


_READ_ONLY_GUARDS: dict[str, Callable[[tuple[str, ...]], bool]] = {
    "find": lambda a: not any(arg in {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0",
                                      "-fprintf", "-fls"} for arg in a),
    "sed": _sed_is_read_only,
    "git": _git_is_read_only,
    "sort": lambda a: not (_has_option(a, "--output", "--compress-program") or _short_flag(a, "o")),
    "uniq": lambda a: len(positionals(a)) <= 1,
    "tree": lambda a: not _short_flag(a, "o"),
    "rg": lambda a: not _has_option(a, "--pre"),
    "file": lambda a: not (_has_option(a, "--compile") or _short_flag(a, "C")),
    "date": lambda a: not (_has_option(a, "--set") or _short_flag(a, "s")),
    "command": lambda a: a[:1] in {("-v",), ("-V",)},
}


def read_only_rule(name: str, args: tuple[str, ...]) -> str | None:
    """``built-in: read-only command (ls)`` when the command only reads, else None."""
    if name not in _READ_ONLY or not _READ_ONLY_GUARDS.get(name, lambda _: True)(args):
        return None
    if name == "git":
        return f"built-in: read-only command (git {git_subcommand(args)[0]})"
    return f"built-in: read-only command ({name})"


_WRITE_GUARDS: dict[str, Callable[[tuple[str, ...]], bool]] = {
    "sed": lambda a: _short_flag(a, "i") or _has_option(a, "--in-place"),
    "perl": lambda a: _short_flag(a, "i"),
    "ruby": lambda a: _short_flag(a, "i"),
    "sort": lambda a: _short_flag(a, "o") or _has_option(a, "--output"),
    "find": lambda a: any(arg in {"-delete", "-fprint", "-fprint0", "-fprintf", "-fls"} for arg in a),
    "dd": lambda a: any(arg.startswith("of=") for arg in a),
    "tee": lambda a: bool(positionals(a)),
    "uniq": lambda a: len(positionals(a)) > 1,
    "tree": lambda a: _short_flag(a, "o"),
    "git": lambda a: git_subcommand(a)[0] in _GIT_WRITERS and not _git_is_read_only(a),
    "ruff": lambda a: "format" in a or _has_option(a, "--fix"),
    "prettier": lambda a: _has_option(a, "--write", "-w"),
    "eslint": lambda a: _has_option(a, "--fix"),
    "rubocop": lambda a: _has_option(a, "-a", "-A", "--autocorrect", "--autocorrect-all", "--auto-correct"),
    "gofmt": lambda a: _has_option(a, "-w"),
    "goimports": lambda a: _has_option(a, "-w"),
    "clang-format": lambda a: _has_option(a, "-i"),
    "yapf": lambda a: _has_option(a, "-i", "--in-place"),
    "autopep8": lambda a: _has_option(a, "-i", "--in-place"),
    "cargo": lambda a: bool({"fmt", "fix"} & set(a)),
    "go": lambda a: bool({"fmt", "generate"} & set(positionals(a))),
    "curl": lambda a: _has_option(a, "-o", "--output", "-O", "--remote-name"),
}


def modifies_files(name: str, args: tuple[str, ...]) -> bool:
    """Whether the command is known to change files (so it is refused in diagnose and plan modes)."""
    if name in _WRITERS:
        return True
    guard = _WRITE_GUARDS.get(name)
    return guard is not None and guard(args)


def is_safe_device(path: str) -> bool:
    """``/dev/null`` and the standard streams: not files, fine to read or write."""
    normal = posixpath.normpath(path) if path.startswith("/") else ""
    return normal in _SAFE_DEVICES or re.fullmatch(r"/dev/fd/\d+", normal) is not None


def _looks_like_path(value: str) -> bool:
    if not value or "://" in value or is_safe_device(value):
        return False
    if value.startswith(("/", "~", "$HOME", "${HOME}")):
        return True
    return ".." in value.split("/")


def path_arguments(name: str, args: tuple[str, ...]) -> tuple[str, ...]:
    """Arguments that name a path which could leave the worktree (absolute, ``~``, ``$HOME``, ``..``)."""
    return _arguments(name, args, _looks_like_path)


def computed_arguments(name: str, args: tuple[str, ...]) -> tuple[str, ...]:
    """Arguments (paths, not patterns or messages) whose value is only known at run time (``$f``, backticks)."""
    return _arguments(name, args, lambda value: "$" in value or "`" in value)


def _arguments(name: str, args: tuple[str, ...], wanted: Callable[[str], bool]) -> tuple[str, ...]:
    if name in _NO_PATH_ARGUMENTS:
        return ()
    text_options = _TEXT_VALUE_OPTIONS | _TEXT_SHORT_OPTIONS.get(name, frozenset())
    if name == "git":
        sub, rest, _ = git_subcommand(args)
        head = args[: len(args) - len(rest)]
        skip = sub == "grep" and not _has_option(rest, *_PATTERN_FLAGS)
        return (*_candidates(head, text_options, wanted, skip_first=False),
                *_candidates(rest, text_options, wanted, skip_first=skip))
    skip_first = name in _PATTERN_FIRST and not _has_option(args, *_PATTERN_FLAGS)
    return tuple(_candidates(args, text_options, wanted, skip_first=skip_first))


def _candidates(args: tuple[str, ...], text_options: frozenset[str], wanted: Callable[[str], bool], *,
                skip_first: bool) -> list[str]:
    found: list[str] = []
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
            continue
        if arg.startswith("-"):
            option, equals, value = arg.partition("=")
            skip_next = not equals and arg in text_options
            if equals and option not in text_options:
                found += [path for path in expand_braces(value.removeprefix("@")) if wanted(path)]
            continue
        if skip_first:
            skip_first = False
            continue
        key, equals, value = arg.partition("=")
        if equals and re.fullmatch(r"[A-Za-z_][\w.-]*", key):
            arg = value
        found += [path for path in expand_braces(arg.removeprefix("@")) if wanted(path)]
    return found
