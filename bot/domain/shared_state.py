"""Which files are shared state: changing them affects more than this one fix, so an escalation approver decides.

Built-in categories (gitignore-style globs, see ``bot.domain.pathmatch``) plus the repository's own
``shared_state_paths``. Standard library only.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.pathmatch import PatternSet, compile_pattern

__all__ = ["BUILT_IN_SHARED_STATE", "SECRET_FILE_PATTERNS", "Finding", "find_shared_state", "is_secret_like",
           "shared_state_rule"]

_HARMLESS_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults", ".pub")

SECRET_FILE_PATTERNS: tuple[str, ...] = (
    ".env", ".env.*", "*.env", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "id_rsa*", "id_dsa*",
    "id_ecdsa*", "id_ed25519*", "credentials", "secrets/", ".secrets",
    *(f"{name}.{ext}" for name in ("credentials", "secrets")
      for ext in ("json", "yml", "yaml", "toml", "ini", "env", "xml", "txt", "csv", "conf", "cfg", "properties")),
    "*.secret", "*.secrets", ".npmrc", ".pypirc", ".netrc", ".htpasswd", ".git-credentials", "*.kdbx",
    "service-account*.json",
)

BUILT_IN_SHARED_STATE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the repository policy", ("/.hotfix.toml", ".hotfix.toml")),
    ("migration or schema", (
        "**/migrations/**", "migrations/", "migrate/", "alembic/", "alembic.ini", "db/migrate/", "schema.rb",
        "structure.sql", "schema.sql", "db/**/*.sql", "schema.prisma", "prisma/migrations/", "flyway.conf",
        "liquibase.properties", "changelog/", "db/changelog/", "priv/repo/migrations/",
    )),
    ("dependency manifest", (
        "requirements*.txt", "requirements/", "constraints*.txt", "pyproject.toml", "setup.py", "setup.cfg",
        "Pipfile", "package.json", "pnpm-workspace.yaml", ".yarnrc", ".yarnrc.yml", "Cargo.toml", "go.mod",
        "go.work", "Gemfile", "*.gemspec", "composer.json", "pom.xml", "build.gradle", "build.gradle.kts",
        "settings.gradle", "settings.gradle.kts", "libs.versions.toml", "mix.exs", "Package.swift", "Podfile",
        "*.csproj", "*.fsproj", "packages.config", "Directory.Packages.props", "pubspec.yaml", "deno.json",
        "environment.yml", "environment.yaml", "vcpkg.json", "conanfile.txt", "conanfile.py", "rebar.config",
        "stack.yaml", "*.cabal", "cabal.project", "flake.nix", "renv.lock", "Brewfile",
    )),
    ("lockfile", (
        "*.lock", "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "bun.lockb", "go.sum",
        "gradle.lockfile", "Package.resolved", "packages.lock.json", "conda-lock.yml", "*.lock.json",
        "*.lock.hcl",
    )),
    ("CI/CD config", (
        ".github/", ".gitlab-ci.yml", ".gitlab/", ".circleci/", "Jenkinsfile", "Jenkinsfile.*", ".travis.yml",
        "azure-pipelines.yml", ".azure-pipelines/", "bitbucket-pipelines.yml", ".buildkite/", ".drone.yml",
        ".woodpecker.yml", ".woodpecker/", "appveyor.yml", "cloudbuild.yaml", "cloudbuild.yml", "buildspec.yml",
        ".teamcity/", "/.ci/", ".pre-commit-config.yaml", "CODEOWNERS", "fly.toml", "vercel.json",
        "netlify.toml", "render.yaml", "Procfile", "app.yaml", ".gitmodules",
    )),
    ("infrastructure code", (
        "*.tf", "*.tfvars", "*.tf.json", "terragrunt.hcl", "*.hcl", "terraform/", "k8s/", "kubernetes/",
        "kustomization.yaml", "kustomization.yml", "helm/", "charts/", "Chart.yaml", "ansible/", "playbooks/",
        "playbook*.yml", "ansible.cfg", "Pulumi.yaml", "Pulumi.*.yaml", "serverless.yml", "serverless.yaml",
        "cdk.json", "*.bicep", "cloudformation/", "infra/", "infrastructure/", "deploy/", "deployment/",
        "*.nomad",
    )),
    ("container file", (
        "Dockerfile", "Dockerfile.*", "*.Dockerfile", "Containerfile", "Containerfile.*", ".dockerignore",
        "docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml", "compose.*.yml", "compose.*.yaml",
    )),
    ("environment or secrets file", SECRET_FILE_PATTERNS),
    # A coding agent's own configuration: hooks, notify commands, MCP servers and allow rules that a later turn
    # (a new agent process in the same worktree) could load without asking anyone.
    ("agent configuration", (".claude/", ".codex/", ".agents/", ".mcp.json", ".cursor/", ".gemini/")),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A changed path that is shared state, and the rule that says so."""

    path: str
    rule: str  # e.g. "built-in shared state: dependency manifest (package.json)"


def _normalise(path: str) -> str:
    cleaned = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    return "" if cleaned == "." else cleaned


_SECRETS = PatternSet(SECRET_FILE_PATTERNS)
_BUILT_IN_SETS = tuple((category, PatternSet(patterns)) for category, patterns in BUILT_IN_SHARED_STATE)


@functools.lru_cache(maxsize=4096)
def is_secret_like(path: str) -> bool:
    """``.env``, keys, certificates, credentials: reading them needs a person (examples and public keys don't)."""
    relative = _normalise(path)
    if not relative or relative.lower().endswith(_HARMLESS_SUFFIXES):
        return False
    return _SECRETS.first_match(relative) is not None


def shared_state_rule(path: str, extra_patterns: Iterable[str] = ()) -> str | None:
    """The rule that makes ``path`` (relative to the repository root) shared state, or None."""
    relative = _normalise(path)
    if not relative:
        return None
    for category, patterns in _BUILT_IN_SETS:
        pattern = patterns.first_match(relative)
        if pattern is not None:
            return f"built-in shared state: {category} ({pattern.lstrip('/')})"
    for pattern in extra_patterns:
        if compile_pattern(pattern).matches(relative):
            return f"shared_state_paths: {pattern}"
    return None


def find_shared_state(paths: Iterable[str], extra_patterns: Iterable[str] = ()) -> tuple[Finding, ...]:
    """One finding per shared-state path, in the order given, each path once."""
    extra = tuple(extra_patterns)
    findings: list[Finding] = []
    seen: set[str] = set()
    for path in paths:
        if path in seen:
            continue
        seen.add(path)
        rule = shared_state_rule(path, extra)
        if rule is not None:
            findings.append(Finding(path=path, rule=rule))
    return tuple(findings)
