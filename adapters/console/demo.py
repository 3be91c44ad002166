"""A ready-to-try sample: a tiny git repository with a real bug, and a config that uses it.

Used when ``hotfix-bot console`` (or ``run`` without chat tokens) finds no ``hotfix.toml``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.domain.config import BotConfig, RepoConfig
from bot.domain.people import People

__all__ = ["DEMO_PEOPLE", "demo_config"]

DEMO_PEOPLE = People(
    requesters=frozenset({"console:operator"}),
    approvers=frozenset({"console:operator", "console:oncall"}),
    escalation=frozenset({"console:oncall"}),
    triage_owner="console:oncall",
)

_FILES = {
    "shop/__init__.py": "",
    "shop/webhook.py": (
        "import json\n\n\n"
        "def handle_checkout_webhook(body: str) -> tuple[int, dict]:\n"
        '    """Return (status, response) for a checkout webhook call."""\n'
        "    payload = json.loads(body)\n"
        '    return 200, {"order": payload["order_id"], "ok": True}\n'
    ),
    "tests/test_webhook.py": (
        "from shop.webhook import handle_checkout_webhook\n\n\n"
        "def test_valid_payload():\n"
        '    assert handle_checkout_webhook(\'{"order_id": 7}\') == (200, {"order": 7, "ok": True})\n\n\n'
        "def test_empty_payload_is_a_client_error():\n"
        '    status, _ = handle_checkout_webhook("")\n'
        "    assert status == 400\n"
    ),
    ".hotfix.toml": 'test_command = "python -m pytest -q"\nmax_files = 5\n',
    # without it the bytecode that the agent's and the bot's own test runs leave behind lands in the diff
    ".gitignore": "__pycache__/\n.pytest_cache/\n",
    "README.md": "# shop\n\nA tiny sample service for the hotfix-bot demo.\n",
}


def demo_config(state_dir: Path) -> BotConfig:
    repo = state_dir / "demo" / "shop"
    if not (repo / ".git").exists():
        _create(repo)
    return BotConfig(
        repos=(RepoConfig(name="shop", path=str(repo), base_branch="main", channels=("console:local",)),),
        people=DEMO_PEOPLE, state_dir=str(state_dir),
    )


def _create(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    for rel, text in _FILES.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env_args = ["-c", "user.name=hotfix-bot demo", "-c", "user.email=demo@hotfix-bot.local"]
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", *env_args, "commit", "-q", "-m", "Sample shop service"]):
        subprocess.run(argv, cwd=repo, check=True, capture_output=True)
