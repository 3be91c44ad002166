"""Configuration enters here once: environment (and ``.env``) through pydantic-settings, and the bot config
file ``hotfix.toml``. Errors are one line naming the file and key. Secrets are SecretStr (never in reprs)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.config import BotConfig, RepoConfig
from bot.domain.people import People
from bot.domain.values import AgentKind

__all__ = ["ConfigError", "Settings", "load_bot_config"]

PERSON = r"^[a-z]+:[A-Za-z0-9_.@-]{1,64}$"


class ConfigError(Exception):
    """One line, safe to print: names the file and key, never a secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    hotfix_config: Path = Path("./hotfix.toml")
    hotfix_database_url: SecretStr | None = None
    hotfix_state_dir: Path = Path("~/.local/state/hotfix-bot")
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_port: int | None = None
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_http_port: int = 3000
    slack_api_base_url: str = "https://slack.com/api/"
    claude_cli_path: str | None = None
    codex_cli_path: str | None = None

    @property
    def state_dir(self) -> Path:
        return self.hotfix_state_dir.expanduser()

    @property
    def database_url(self) -> str:
        if self.hotfix_database_url is not None:
            return self.hotfix_database_url.get_secret_value()
        return f"sqlite:///{self.state_dir / 'hotfix.db'}"

    @property
    def has_chat_tokens(self) -> bool:
        return bool(self.telegram_bot_token or self.slack_bot_token)


class _Repo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    path: str
    base_branch: str = Field(default="main", pattern=r"^[A-Za-z0-9._/-]{1,200}$")
    agent: Literal["claude", "codex"] = "claude"
    channels: list[str] = []
    file_lane_requester: str | None = Field(default=None, pattern=PERSON)

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        for item in value:
            if ":" not in item or not item.split(":", 1)[1]:
                raise ValueError(f"'{item[:40]}' is not '<platform>:<conversation id>'")
        return value


class _People(BaseModel):
    model_config = ConfigDict(extra="forbid")
    requesters: list[str] = []
    approvers: list[str] = []
    escalation: list[str] = []
    triage_owner: str | None = Field(default=None, pattern=PERSON)

    @field_validator("requesters", "approvers", "escalation")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        import re

        for item in value:
            if not re.match(PERSON, item):
                raise ValueError(f"'{item[:40]}' is not '<platform>:<user id>'")
        return value


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    repos: list[_Repo] = Field(alias="repo", min_length=1)
    people: _People = _People()
    max_concurrent_runs: int = Field(default=2, ge=1, le=32)


def load_bot_config(path: Path, state_dir: Path) -> BotConfig:
    name = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{name}: not found (set HOTFIX_CONFIG or copy hotfix.toml.example)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{name}: cannot be read ({type(e).__name__})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{name}: not valid TOML ({e})") from None
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".") or "(top level)"
        raise ConfigError(f"{name}: {key}: {err['msg']}") from None
    names = [r.name.lower() for r in parsed.repos]
    if len(set(names)) != len(names):
        raise ConfigError(f"{name}: repo.name: repository names must be unique")
    base = path.resolve().parent
    repos = tuple(_repo(r, base, name) for r in parsed.repos)
    people = People(requesters=frozenset(parsed.people.requesters), approvers=frozenset(parsed.people.approvers),
                    escalation=frozenset(parsed.people.escalation), triage_owner=parsed.people.triage_owner)
    return BotConfig(repos=repos, people=people, state_dir=str(state_dir),
                     max_concurrent_runs=parsed.max_concurrent_runs)


def _repo(r: _Repo, base: Path, name: str) -> RepoConfig:
    repo_path = (base / os.path.expanduser(r.path)).resolve()
    if not (repo_path / ".git").exists():
        raise ConfigError(f"{name}: repo '{r.name}'.path: not a git checkout")
    return RepoConfig(name=r.name, path=str(repo_path), base_branch=r.base_branch, agent=AgentKind(r.agent),
                      channels=tuple(r.channels), file_lane_requester=r.file_lane_requester)
