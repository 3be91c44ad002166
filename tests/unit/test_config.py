"""hotfix.toml and the environment: one-line errors naming the file and key; secrets never in reprs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_bot_config


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "shop"
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hotfix.toml"
    path.write_text(text)
    return path


def test_a_full_config_loads(tmp_path: Path, repo: Path) -> None:
    cfg = load_bot_config(write(tmp_path, f'''
max_concurrent_runs = 3
[[repo]]
name = "shop"
path = "{repo}"
agent = "codex"
channels = ["telegram:-100", "slack:C1"]
[people]
requesters = ["telegram:111"]
approvers = ["slack:U222"]
escalation = ["telegram:333"]
triage_owner = "slack:U222"
'''), tmp_path / "state")
    assert cfg.max_concurrent_runs == 3 and cfg.repos[0].agent.value == "codex"
    assert cfg.default_repo("slack:C1") is cfg.repos[0] and cfg.repo("SHOP") is cfg.repos[0]
    assert cfg.people.may("telegram:111", __import__("bot.domain.people", fromlist=["Action"]).Action.FILE)
    assert cfg.worktree_root("shop").endswith("state/worktrees/shop")


@pytest.mark.parametrize(("text", "message"), [
    ("not toml [", "hotfix.toml: not valid TOML"),
    ("[people]\n", "hotfix.toml: repo: Field required"),
    ('[[repo]]\nname = "x"\n', "hotfix.toml: repo[0].path: Field required"),
    ('[[repo]]\nname = "bad name"\npath = "."\n', "hotfix.toml: repo[0].name:"),
    ('[[repo]]\nname = "x"\npath = "/nonexistent"\n', "hotfix.toml: repo 'x'.path: not a git checkout"),
    ('[[repo]]\nname = "x"\npath = "."\nagent = "gpt"\n', "hotfix.toml: repo[0].agent:"),
    ('[[repo]]\nname = "x"\npath = "."\nchannels = ["nochannel"]\n', "hotfix.toml: repo[0].channels:"),
    ('[[repo]]\nname = "x"\npath = "."\n[people]\napprovers = ["bob"]\n', "hotfix.toml: people.approvers:"),
    ('[[repo]]\nname = "x"\npath = "."\nsurprise = 1\n', "hotfix.toml: repo[0].surprise:"),
])
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_bot_config(write(tmp_path, text), tmp_path)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_bot_config(tmp_path / "nope.toml", tmp_path)


def test_secrets_never_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABCDEFsecretsecret")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("HOTFIX_DATABASE_URL", "postgresql+psycopg://u:hunter2@db/x")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    text = repr(settings) + str(settings)
    assert "secretsecret" not in text and "xoxb-very" not in text and "hunter2" not in text
    assert settings.has_chat_tokens and settings.database_url.endswith("@db/x")
