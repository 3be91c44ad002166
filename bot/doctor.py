"""``hotfix-bot doctor``: check what the bot needs, one line each, never printing a secret."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from bot.config import ConfigError, Settings, load_bot_config

__all__ = ["doctor"]


def doctor(settings: Settings, say: Callable[[str], None]) -> int:
    problems = 0

    def check(ok: bool, good: str, bad: str) -> None:
        nonlocal problems
        say(("ok   " if ok else "FAIL ") + (good if ok else bad))
        problems += 0 if ok else 1

    path = settings.hotfix_config.expanduser()
    try:
        config = load_bot_config(path, settings.state_dir)
        check(True, f"config {path.name}: {len(config.repos)} repositories", "")
    except ConfigError as e:
        check(False, "", str(e))
        config = None
    for name, value in (("TELEGRAM_BOT_TOKEN", settings.telegram_bot_token),
                        ("SLACK_BOT_TOKEN", settings.slack_bot_token)):
        say(f"info {name} is {'set' if value else 'not set'}")
    if settings.slack_bot_token and not (settings.slack_app_token or settings.slack_signing_secret):
        check(False, "", "Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)")
    if config is not None:
        problems += _repos(config, say)
    check(_claude_cli(settings) is not None, "claude CLI found", "claude CLI not found (set CLAUDE_CLI_PATH)")
    check(_codex_cli(settings) is not None, "codex CLI found", "codex CLI not found (set CODEX_CLI_PATH)")
    try:
        from storage.engine import make_engine, migrate, redacted_url

        engine = make_engine(settings.database_url)
        migrate(engine)
        engine.dispose()
        check(True, f"database {redacted_url(settings.database_url).split('://')[0]} reachable and migrated", "")
    except Exception as e:
        check(False, "", f"database: {type(e).__name__}")
    say("all good" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0


def _repos(config: object, say: Callable[[str], None]) -> int:
    from adapters.git import GitWorkspace
    from bot.domain.policy import PolicyError, load_policy

    problems = 0
    workspace = GitWorkspace()
    for repo in getattr(config, "repos", ()):
        try:
            text = asyncio.run(workspace.read_base_file(repo_path=repo.path, base_branch=repo.base_branch,
                                                        path=".hotfix.toml"))
            load_policy(text, source=f"{repo.name}/.hotfix.toml")
            say(f"ok   repo {repo.name}: {repo.base_branch} found, policy loads")
        except PolicyError as e:
            say(f"FAIL repo {repo.name}: {e}")
            problems += 1
        except Exception as e:
            say(f"FAIL repo {repo.name}: {str(e).splitlines()[0][:160] if str(e) else type(e).__name__}")
            problems += 1
    return problems


def _claude_cli(settings: Settings) -> str | None:
    if settings.claude_cli_path:
        return settings.claude_cli_path if os.access(settings.claude_cli_path, os.X_OK) else None
    try:
        import claude_agent_sdk

        bundled = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    return shutil.which("claude")


def _codex_cli(settings: Settings) -> str | None:
    if settings.codex_cli_path:
        return settings.codex_cli_path if os.access(settings.codex_cli_path, os.X_OK) else None
    found = shutil.which("codex")
    if found:
        return found
    try:
        import codex_cli_bin

        return str(codex_cli_bin.bundled_codex_path())
    except Exception:
        return None
