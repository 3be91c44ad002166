from __future__ import annotations

from pathlib import Path

import pytest

from adapters.git import GitWorkspace
from tests.integration.git.gitrepo import Repos, isolate_git_config, make_repos

BASE_FILES: dict[str, str | bytes] = {
    "app/checkout.py": "def total(items):\n    return sum(items)\n",
    "app/old_name.py": "VALUE = 1\n" * 20,
    "README.md": "# shop\n",
    "logo.bin": b"\x89PNG\x00\x01\x02",
    "tasks/hotfix/HOTFIX-login.md": "# Login fails\n\nUsers cannot log in.\n",
}


@pytest.fixture(autouse=True)
def _no_global_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git_config(monkeypatch, tmp_path)


@pytest.fixture
def repos(tmp_path: Path) -> Repos:
    return make_repos(tmp_path, BASE_FILES)


@pytest.fixture
def workspace() -> GitWorkspace:
    return GitWorkspace()
