"""Built-in knowledge of dangerous and shared-state commands, judged one unwrapped simple command at a time.

``builtin_danger(name, args)`` answers DENY (never allowed, whoever approves) or ESCALATE (shared state: an
escalation approver decides) with the rule that matched, or None. Standard library only.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Callable

from bot.domain.tool import Verdict

__all__ = ["DB_CLIENTS", "DOWNLOADERS", "SCRIPT_RUNNERS", "SHELLS", "builtin_danger", "command_name",
           "expand_braces", "git_subcommand", "positionals"]

Danger = tuple[Verdict, str]

_FAMILY_RE = re.compile(r"^(python|pip|perl|ruby|node|php|bash|zsh|ksh)[0-9.]*$")
DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "xh"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh", "busybox"})
SCRIPT_RUNNERS = SHELLS | {"python", "perl", "ruby", "node", "php", "source", ".", "eval", "deno", "bun"}
DB_CLIENTS = frozenset({
    "psql", "mysql", "mariadb", "sqlite3", "sqlite", "mongo", "mongosh", "sqlcmd", "clickhouse-client",
    "clickhouse", "cqlsh", "redis-cli", "duckdb", "cockroach", "usql", "pgcli", "mycli", "litecli", "isql",
})
_NEVER = frozenset({"sudo", "su", "doas", "pkexec", "runuser", "sudoedit"})
_DISK_TOOLS = frozenset({"mkswap", "wipefs", "fdisk", "sfdisk", "gdisk", "cfdisk", "parted", "blkdiscard"})
_POWER = frozenset({"shutdown", "reboot", "halt", "poweroff"})
_POWER_VERBS = frozenset({"poweroff", "reboot", "halt", "kexec", "suspend", "hibernate", "rescue", "emergency"})
_GIT_VALUE_OPTIONS = frozenset({"-c", "-C", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                                "--super-prefix", "--config-env", "--attr-source", "--list-cmds"})
_GIT_REWRITES = frozenset({"rebase", "filter-branch", "filter-repo", "update-ref", "replace"})

_PACKAGE_VERBS: dict[str, frozenset[str]] = {
    name: frozenset(verbs.split()) for name, verbs in {
        "dart": "", "flutter": "", "swift": "",
        "pip": "install uninstall", "pipx": "install uninstall upgrade upgrade-all inject reinstall",
        "uv": "add remove sync lock install uninstall upgrade publish",
        "poetry": "add remove install update lock sync publish", "twine": "upload", "flit": "publish",
        "hatch": "publish",
        "pipenv": "install uninstall update upgrade lock sync", "pdm": "add remove install update lock sync publish",
        "conda": "install remove uninstall update upgrade create", "mamba": "install remove uninstall update create",
        "micromamba": "install remove update create", "easy_install": "*", "cpan": "*", "cpanm": "*",
        "npm": "install i ci add uninstall remove rm un r update up upgrade link ln publish dedupe prune unpublish",
        "yarn": "add remove install upgrade up dedupe link publish", "bun": "add install i remove rm update link",
        "pnpm": "add install i remove rm uninstall un update up upgrade link ln publish prune dedupe",
        "deno": "install add remove uninstall", "cargo": "add remove rm install uninstall update publish yank",
        "go": "get install", "gem": "install uninstall update push yank", "bundle": "install update add remove lock",
        "bundler": "install update add remove lock", "composer": "install require update remove upgrade reinstall",
        "apt": "install remove purge upgrade dist-upgrade full-upgrade autoremove reinstall",
        "apt-get": "install remove purge upgrade dist-upgrade autoremove reinstall", "aptitude": "install remove",
        "brew": "install uninstall remove rm upgrade reinstall tap untap link unlink bundle",
        "yum": "install remove erase update upgrade downgrade reinstall", "microdnf": "install remove update",
        "dnf": "install remove erase update upgrade downgrade reinstall", "apk": "add del upgrade",
        "zypper": "install in remove rm update up dist-upgrade dup", "snap": "install remove refresh",
        "port": "install uninstall upgrade", "pod": "install update deintegrate", "mix": "deps.get deps.update",
        "luarocks": "install remove", "nuget": "install update", "dotnet": "add remove",
        "choco": "install uninstall upgrade", "winget": "install uninstall upgrade", "flatpak": "install uninstall",
        "dpkg": "-i --install -r --remove -p --purge", "rpm": "-i --install -u --upgrade -e --erase",
        "nix-env": "-i --install -e --uninstall -u --upgrade", "pacman": "-s -r -u --sync --remove --upgrade",
    }.items()
}
_BARE_INSTALLS = frozenset({"yarn", "bundle", "bundler"})
_OPTION_VERBS = frozenset({"-i", "--install", "-r", "--remove", "-p", "--purge", "-u", "--upgrade", "-e", "--erase",
                           "--uninstall", "-s", "--sync"})
_TWO_WORD_INSTALLS: dict[str, frozenset[tuple[str, str]]] = {
    "go": frozenset({("mod", "tidy"), ("mod", "download"), ("work", "sync")}),
    "uv": frozenset({("tool", "install"), ("tool", "uninstall"), ("tool", "upgrade")}),
    "dart": frozenset({("pub", "add"), ("pub", "get"), ("pub", "upgrade"), ("pub", "remove")}),
    "flutter": frozenset({("pub", "add"), ("pub", "get"), ("pub", "upgrade"), ("pub", "remove")}),
    "swift": frozenset({("package", "update"), ("package", "resolve")}),
}
_CLOUD_CLIS = frozenset({"aws", "gcloud", "gsutil", "az", "doctl", "oci", "ibmcloud", "linode-cli", "hcloud",
                         "vercel", "netlify", "wrangler", "firebase", "heroku", "railway", "render"})
_CLOUD_MUTATION_RE = re.compile(
    r"^(?:delete|create|put|update|remove|rm|cp|mv|sync|deploy|apply|terminate|run-instances|start|stop|reboot"
    r"|modify|set|attach|detach|invoke|publish|restore|import|promote|scale|resize|purge|rb|mb|rsync|up|destroy"
    r"|release|rollback|revoke|authorize|add|disable|enable)(?:-[\w-]*)?$"
)
_INFRA_VERBS: dict[str, frozenset[str]] = {
    name: frozenset(verbs.split()) for name, verbs in {
        "terraform": "apply destroy import taint untaint state force-unlock refresh",
        "tofu": "apply destroy import taint untaint state force-unlock refresh",
        "terragrunt": "apply destroy import taint untaint state force-unlock refresh run-all",
        "pulumi": "up destroy import refresh cancel", "cdk": "deploy destroy bootstrap",
        "kubectl": "apply delete create patch replace scale rollout edit set label annotate drain cordon uncordon "
                   "taint exec cp run expose autoscale attach",
        "oc": "apply delete create patch replace scale rollout edit set label annotate exec cp run expose",
        "helm": "install upgrade uninstall delete rollback push", "docker": "push",
        "podman": "push", "buildah": "push", "skopeo": "copy delete", "serverless": "deploy remove",
        "sls": "deploy remove", "flyctl": "deploy destroy", "fly": "deploy destroy", "heroku": "releases:rollback",
        "gh": "merge create close reopen delete edit rename archive set upload ready enable disable review "
              "comment lock unlock transfer", "glab": "merge create close reopen delete edit run set",
    }.items()
}


def command_name(word: str) -> str:
    """The command a word names: basename, lower case, version suffix folded (``python3.11`` -> ``python``)."""
    name = posixpath.basename(word.rstrip("/")).lower() or word.lower()
    if name.endswith(".exe"):
        name = name[:-4]
    match = _FAMILY_RE.match(name)
    return match.group(1) if match else name


def positionals(args: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(arg for arg in args if not arg.startswith("-"))


def _short_flags(args: tuple[str, ...]) -> str:
    return "".join(arg[1:] for arg in args if arg.startswith("-") and not arg.startswith("--"))


def git_subcommand(args: tuple[str, ...]) -> tuple[str, tuple[str, ...], bool]:
    """(subcommand, its arguments, whether ``-c``/``--config-env``/``--exec-path`` changed git's config)."""
    index = 0
    configured = False
    while index < len(args):
        arg = args[index]
        if arg in _GIT_VALUE_OPTIONS:
            configured = configured or arg in {"-c", "--config-env", "--exec-path"}
            index += 2
        elif arg.startswith("-"):
            configured = configured or arg.startswith(("--config-env", "--exec-path"))
            index += 1
        else:
            return arg.lower(), args[index + 1:], configured
    return "", (), configured


def builtin_danger(name: str, args: tuple[str, ...], *, is_outside: Callable[[str], bool]) -> Danger | None:
    """The most severe built-in rule for one unwrapped command (``name`` from ``command_name``).

    ``is_outside(path)`` says whether a path argument leaves the worktree.
    """
    found = _recursive_delete(name, args, is_outside)
    if found is not None:
        return found
    lowered = tuple(arg.lower() for arg in args)
    for check in _CHECKS:
        found = check(name, lowered)
        if found is not None:
            return found
    return None


def _never(name: str, args: tuple[str, ...]) -> Danger | None:
    if name in _NEVER:
        return Verdict.DENY, f"built-in: {name} is never allowed"
    if name.startswith("mkfs") or name in _DISK_TOOLS:
        return Verdict.DENY, "built-in: formatting or partitioning a disk"
    power = name in _POWER or (name in {"init", "telinit"} and bool({"0", "6"} & set(args)))
    if power or (name in {"systemctl", "loginctl"} and bool(_POWER_VERBS & set(args))):
        return Verdict.DENY, "built-in: shutting down or rebooting the machine"
    if name in {"kill", "pkill", "killall"} and "-1" in args[-1:]:
        return Verdict.DENY, "built-in: killing every process"
    if name == "dd" and any(arg.startswith("of=/dev/") and arg != "of=/dev/null" for arg in args):
        return Verdict.DENY, "built-in: dd writing to a device"
    return None


def _recursive_delete(name: str, args: tuple[str, ...], is_outside: Callable[[str], bool]) -> Danger | None:
    recursive = "r" in _short_flags(args).lower() or "--recursive" in args
    targets = positionals(args)
    if name in {"chmod", "chown", "chgrp"} and recursive and any(
            _is_root_like(path) for t in targets for path in expand_braces(t)):
        return Verdict.DENY, f"built-in: {name} -R on the whole system"
    if name != "rm":
        return None
    if "--no-preserve-root" in args:
        return Verdict.DENY, "built-in: rm --no-preserve-root"
    expanded = [path for target in targets for path in expand_braces(target)]
    if recursive and any(_is_root_like(path) or is_outside(path) or _dot_glob(path) for path in expanded):
        return Verdict.DENY, "built-in: rm -r outside the worktree"
    return None


def _dot_glob(arg: str) -> bool:
    """``.*`` matches ``..`` in older shells."""
    return arg.rsplit("/", 1)[-1].startswith(".*")


def _is_root_like(arg: str) -> bool:
    if arg.startswith(("~", "$HOME", "${HOME}")):
        return True
    return arg.startswith("/") and arg.rstrip("*").rstrip("/.") == ""


def _git(name: str, args: tuple[str, ...]) -> Danger | None:
    if name != "git":
        return None
    sub, rest, _ = git_subcommand(args)
    flags = set(rest)
    if sub == "config" and flags & {"--global", "--system"}:
        return Verdict.DENY, "built-in: git config --global/--system"
    if sub == "config" and _git_config_writes(rest):
        return Verdict.DENY, "built-in: writes into .git/ (git config)"
    if sub in {"push", "send-pack", "http-push"}:
        forced = flags & {"-f", "--force", "--mirror", "--delete", "-d", "--prune", "--force-if-includes"}
        if forced or any(a.startswith(("--force-with-lease", "+", ":")) for a in rest):
            return Verdict.ESCALATE, "built-in: git force push rewrites shared history"
        return Verdict.ESCALATE, "built-in: git push is shared state"
    rewrite = (sub in _GIT_REWRITES or (sub == "reset" and "--hard" in flags)
               or (sub == "commit" and "--amend" in flags)
               or (sub == "tag" and bool(flags & {"-d", "--delete", "-f", "--force"}))
               or (sub == "branch" and bool(flags & {"-d", "-D", "--delete", "-f", "--force", "-m", "-M"}))
               or (sub == "reflog" and bool(flags & {"expire", "delete"}))
               or (sub == "gc" and any(a.startswith("--prune") for a in rest)))
    if rewrite:
        shown = " ".join((sub, *sorted(flags & {"--hard", "--amend", "-d", "-D", "--delete"})))
        return Verdict.ESCALATE, f"built-in: git {shown} rewrites history"
    return None


_GIT_CONFIG_READS = frozenset({"--get", "--get-all", "--get-regexp", "--get-urlmatch", "-l", "--list", "get", "list",
                               "--get-color", "--get-colorbool"})
_GIT_CONFIG_WRITES = frozenset({"--add", "--unset", "--unset-all", "--replace-all", "--rename-section", "-e", "--edit",
                                "--remove-section", "set", "unset", "rename-section", "remove-section", "edit"})
_GIT_CONFIG_VALUES = frozenset({"-f", "--file", "--blob", "--type", "--default", "--comment"})


def _git_config_writes(args: tuple[str, ...]) -> bool:
    """``git config`` sets or edits a value (the repository's own config lives in .git/)."""
    if _GIT_CONFIG_WRITES & set(args):
        return True
    if _GIT_CONFIG_READS & set(args):
        return False
    values = {i + 1 for i, arg in enumerate(args) if arg in _GIT_CONFIG_VALUES}
    words = [arg for i, arg in enumerate(args) if not arg.startswith("-") and i not in values]
    return len(words) >= 2


def expand_braces(word: str, limit: int = 64) -> list[str]:
    """``{/,x}`` -> ``["/", "x"]`` (comma lists, nested, at most ``limit`` results) as the shell would."""
    results = [word]
    done: list[str] = []
    while results and len(done) + len(results) <= limit:
        current = results.pop()
        span = _brace_span(current)
        if span is None:
            done.append(current)
            continue
        start, end, options = span
        results += [current[:start] + option + current[end + 1:] for option in options]
    return done + results


def _brace_span(word: str) -> tuple[int, int, list[str]] | None:
    for start, char in enumerate(word):
        if char != "{":
            continue
        depth, commas = 0, [start]
        for index in range(start, len(word)):
            depth += {"{": 1, "}": -1}.get(word[index], 0)
            if depth == 1 and word[index] == ",":
                commas.append(index)
            if depth == 0:
                if len(commas) == 1:
                    break
                bounds = [*commas, index]
                return start, index, [word[a + 1:b] for a, b in itertools.pairwise(bounds)]
    return None


def _packages(name: str, args: tuple[str, ...]) -> Danger | None:
    verbs = _PACKAGE_VERBS.get(name)
    if verbs is None:
        return None
    words = positionals(args)
    first, second = (*words, "", "")[:2]
    opts = {a[:2] for a in args if a.startswith("-") and not a.startswith("--")} | set(args)
    hit = "*" in verbs or first in verbs or bool(verbs & opts & _OPTION_VERBS)
    hit = hit or (name in _BARE_INSTALLS and not words)
    hit = hit or (first, second) in _TWO_WORD_INSTALLS.get(name, frozenset())
    hit = hit or (first in {"pip", "tool", "global", "self"} and second in verbs | {"install", "add", "update"})
    if hit:
        return Verdict.ESCALATE, f"built-in: package install or change ({name})"
    return None


def _migrations(name: str, args: tuple[str, ...]) -> Danger | None:
    words = positionals(args)
    found = set(words)
    first = words[0] if words else ""
    runs = (
        (name == "alembic" and bool(found & {"upgrade", "downgrade", "stamp"}))
        or (name in {"manage.py", "django-admin"} and bool(found & {"migrate", "flush", "loaddata", "dbshell"}))
        or (name in {"rails", "rake", "knex", "sequelize", "sequelize-cli", "typeorm", "mikro-orm", "artisan",
                     "mix", "make", "just", "task", "invoke", "poe", "npm", "yarn", "pnpm", "bun", "nx"}
            and any(_names_migration(w) for w in words))
        or (name == "flyway" and bool(found & {"migrate", "clean", "repair", "baseline", "undo"}))
        or (name == "liquibase" and any(w.startswith(("update", "rollback", "drop", "changelog-sync",
                                                      "execute-sql")) for w in words))
        or (name == "prisma" and ("migrate" in found or (first == "db" and bool(found & {"push", "execute"}))))
        or (name in {"goose", "dbmate", "migrate", "yoyo", "sqitch", "atlas", "skeema", "hasura", "supabase"}
            and bool(found & {"up", "up-by-one", "up-to", "down", "down-to", "redo", "reset", "migrate",
                              "rollback", "drop", "force", "goto", "apply", "reapply", "deploy", "revert",
                              "push", "load", "create"}))
        or (name in {"diesel", "sqlx"} and bool(found & {"run", "revert", "redo", "reset", "setup", "drop"}))
        or (name == "flask" and first == "db" and bool(found & {"upgrade", "downgrade", "stamp"}))
    )
    if runs:
        return Verdict.ESCALATE, f"built-in: migration runner ({name})"
    return None


def _names_migration(word: str) -> bool:
    return "migrat" in word or word.startswith(("db:", "db-", "db.", "ecto.migrate", "ecto.rollback", "ecto.drop",
                                                 "ecto.reset", "schema:"))


def _cloud(name: str, args: tuple[str, ...]) -> Danger | None:
    if name not in _CLOUD_CLIS:
        return None
    verb = next((w for w in positionals(args) if _CLOUD_MUTATION_RE.match(w)), None)
    if verb is None:
        return None
    return Verdict.ESCALATE, f"built-in: {name} {verb} changes cloud resources"


def _infrastructure(name: str, args: tuple[str, ...]) -> Danger | None:
    if name in {"docker", "podman"} and "--push" in args:
        return Verdict.ESCALATE, f"built-in: {name} push changes shared infrastructure"
    verbs = _INFRA_VERBS.get(name)
    if verbs is None:
        return None
    hit = bool(verbs & set(positionals(args))) or positionals(args)[:2] == ("workflow", "run")
    if name in {"gh", "glab"} and "api" in args:
        hit = hit or any(a.startswith(("-x", "--method", "-f", "--field", "--raw-field", "--input")) for a in args)
    if hit:
        verb = next((w for w in positionals(args) if w in verbs), "api")
        return Verdict.ESCALATE, f"built-in: {name} {verb} changes shared infrastructure"
    return None


_CHECKS: tuple[Callable[[str, tuple[str, ...]], Danger | None], ...] = (
    _never, _git, _migrations, _packages, _infrastructure, _cloud,
)
