"""What the git adapter lets a person see of git's stderr: one line, no credentials, no long paths."""

from __future__ import annotations

import pytest

from adapters.git.change import _push_failure
from adapters.git.cli import one_line_reason
from adapters.git.errors import InvalidNameError
from adapters.git.names import check_repo_relative_path, check_sha, check_slug


def test_the_most_telling_line_without_credentials_urls_or_long_paths() -> None:
    stderr = ("Cloning...\nremote: Counting objects\n"
              "fatal: unable to access 'https://bot:ghp_SECRET123@github.com/acme/shop.git/': Could not resolve host\n"
              "hint: see /home/bot/.local/state/hotfix-bot/worktrees/shop/HF-7/.git for details\n")
    reason = one_line_reason(stderr)
    assert "ghp_SECRET123" not in reason and "bot:" not in reason
    assert reason == "unable to access '<remote>': Could not resolve host"


def test_paths_are_shortened_to_their_last_part() -> None:
    reason = one_line_reason("error: could not lock config file /srv/state/worktrees/shop/HF-7/.git/config: x\n")
    assert reason == "could not lock config file …/config: x"


def test_scp_style_remotes_are_hidden_and_lines_are_capped() -> None:
    assert one_line_reason("fatal: 'git@github.com:acme/shop.git' not found") == "'<remote>' not found"
    assert len(one_line_reason("fatal: " + "x" * 500)) == 160
    assert one_line_reason("") == "unknown error"
    assert "\x1b" not in one_line_reason("fatal: \x1b[31mred\x1b[0m")


@pytest.mark.parametrize(("stderr", "expected"), [
    (" ! [rejected]        hotfix/7-x -> hotfix/7-x (fetch first)\nerror: failed to push some refs to '/x'\n",
     "push to origin rejected: the remote branch has commits this one lacks (never forced)"),
    (" ! [rejected] hotfix/7-x -> hotfix/7-x (non-fast-forward)\n",
     "push to origin rejected: the remote branch has commits this one lacks (never forced)"),
    ("fatal: Authentication failed for 'https://github.com/acme/shop.git/'\n",
     "push to origin failed: authentication was refused"),
    ("fatal: could not read Username for 'https://github.com': terminal prompts disabled\n",
     "push to origin failed: authentication was refused"),
    ("fatal: timed out after 120 s", "push to origin failed: timed out after 120 s"),
])
def test_push_failures_read_as_one_line(stderr: str, expected: str) -> None:
    assert _push_failure("origin", stderr) == expected


@pytest.mark.parametrize("slug", ["fix-500", "a", "v1.2_hot", "x" * 80])
def test_good_slugs(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../b", "", "-rf", "a\nb"])
def test_paths_outside_the_repository_are_refused(path: str) -> None:
    with pytest.raises(InvalidNameError):
        check_repo_relative_path(path)


def test_paths_are_normalised_and_shas_checked() -> None:
    assert check_repo_relative_path("./tasks//hotfix/") == "tasks/hotfix"
    assert check_sha("a" * 40) == "a" * 40
    with pytest.raises(InvalidNameError):
        check_sha("HEAD~1")
