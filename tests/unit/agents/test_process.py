"""The shared process-tree handling, against real processes (sh, sleep, python) started by the test."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.agents.process import ProcessTree, ancestors, descendants, is_alive, listed_pids
from tests.unit.agents.process_support import answers

LONG = "60"


class Spawner:
    """Starts processes for a test and makes sure every one (and every pid they report) is gone after it."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []
        self.reported: list[int] = []

    def __call__(self, argv: list[str], **options: Any) -> subprocess.Popen[str]:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, **options)
        self.started.append(process)
        return process

    def read_pids(self, process: subprocess.Popen[str]) -> list[int]:
        """The pids ``process`` printed on one line."""
        assert process.stdout is not None
        pids = [int(word) for word in process.stdout.readline().split()]
        self.reported.extend(pids)
        return pids

    def clean_up(self) -> None:
        for pid in self.reported:
            if is_alive(pid):
                os.kill(pid, signal.SIGKILL)
        for process in self.started:
            process.kill()
            process.communicate()  # reaps it and closes its pipes


@pytest.fixture
def spawn() -> Iterator[Spawner]:
    spawner = Spawner()
    yield spawner
    spawner.clean_up()


def _stat_field(pid: int, index: int) -> str:
    """Field ``index`` after the command name in ``/proc/<pid>/stat`` (0 state, 1 parent, 19 start time)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rfind(")") + 2 :].split()[index]


def _parent(pid: int) -> int:
    return int(_stat_field(pid, 1))


def _start_time(pid: int) -> int:
    return int(_stat_field(pid, 19))


def _state(pid: int) -> str:
    return _stat_field(pid, 0)


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition`` holds; fail after 10 s (a bound for a broken build, not a speed check)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def test_descendants_lists_children_and_grandchildren_with_their_start_times(spawn: Spawner) -> None:
    shell = spawn(["sh", "-c", f"sleep {LONG} & echo $!; wait"])
    [grandchild] = spawn.read_pids(shell)

    assert descendants(shell.pid) == {grandchild: _start_time(grandchild)}
    assert {shell.pid, grandchild} <= set(descendants(os.getpid()))
    assert os.getpid() not in descendants(os.getpid())


async def test_a_zombie_counts_as_gone(spawn: Spawner) -> None:
    done = spawn(["true"])
    await _until(lambda: _state(done.pid) == "Z", "the child exits")  # not reaped: still listed in /proc

    assert done.pid in listed_pids()
    assert not is_alive(done.pid)
    assert done.pid not in descendants(os.getpid())


def test_a_running_process_is_alive_and_a_reaped_one_is_not(spawn: Spawner) -> None:
    sleeper = spawn(["sleep", LONG])
    assert is_alive(sleeper.pid)

    sleeper.kill()
    sleeper.wait()
    assert not is_alive(sleeper.pid)


def test_ancestors_are_this_process_and_those_above_it() -> None:
    found = ancestors()

    assert {os.getpid(), os.getppid()} <= found
    assert 1 not in found and all(is_alive(pid) for pid in found)


def test_listing_a_missing_proc_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        listed_pids(str(tmp_path / "no-proc"))


async def test_terminate_kills_a_detached_grandchild_that_ignores_sigterm(spawn: Spawner) -> None:
    stubborn = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
                f"time.sleep({LONG})")
    starter = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', {stubborn!r}], "
               "start_new_session=True, stdout=subprocess.PIPE); p.stdout.readline(); "
               f"print(p.pid, flush=True); time.sleep({LONG})")
    root = spawn([sys.executable, "-c", starter])
    [detached] = spawn.read_pids(root)
    tree = ProcessTree(root.pid)

    gone = await tree.terminate(term_wait=0.2, kill_wait=10)

    assert gone
    assert not is_alive(root.pid) and not is_alive(detached)
    assert tree.alive() == []


async def test_a_stopped_process_is_continued_so_it_can_act_on_sigterm(spawn: Spawner, tmp_path: Path) -> None:
    marker = tmp_path / "clean-exit"
    graceful = (f"import signal, sys, time\ndef bye(*_):\n    open({str(marker)!r}, 'w').close()\n    sys.exit(0)\n"
                f"signal.signal(signal.SIGTERM, bye)\nprint('ready', flush=True)\ntime.sleep({LONG})\n")
    process = spawn([sys.executable, "-c", graceful])
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    os.kill(process.pid, signal.SIGSTOP)
    await _until(lambda: _state(process.pid) == "T", "the process stops")

    gone = await ProcessTree(process.pid).terminate(term_wait=30, kill_wait=10)  # SIGKILL after 30 s: no marker

    assert gone and marker.exists()
    assert process.wait() == 0


async def test_a_remembered_descendant_is_killed_after_it_was_orphaned(spawn: Spawner) -> None:
    root = spawn(["sh", "-c", f"sh -c 'sleep {LONG} & echo $$ $!; wait'; sleep {LONG}"])
    middle, grandchild = spawn.read_pids(root)
    tree = ProcessTree(root.pid)
    tree.remember()
    os.kill(middle, signal.SIGKILL)
    await _until(lambda: _parent(grandchild) != middle, "the grandchild is re-parented")
    assert grandchild not in descendants(root.pid)

    gone = await tree.terminate(term_wait=10, kill_wait=10)

    assert gone and not is_alive(grandchild)


async def test_a_group_member_it_never_saw_dies_with_the_group_even_after_the_leader_exited(
    spawn: Spawner,
) -> None:
    root = spawn(["sh", "-c", f"(sleep {LONG} & echo $!); read line"], stdin=subprocess.PIPE,
                 start_new_session=True)
    [member] = spawn.read_pids(root)
    await _until(lambda: member not in descendants(root.pid), "the member is orphaned")
    tree = ProcessTree(root.pid)  # has not looked below the root yet
    root.kill()  # the leader exits (a zombie until reaped): the member is only reachable through its group
    await _until(lambda: not is_alive(root.pid), "the leader exits")

    gone = await tree.terminate(term_wait=10, kill_wait=10)

    assert gone
    await _until(lambda: not is_alive(member), "the member dies")


async def test_the_bots_own_process_group_is_never_signalled_as_a_whole(spawn: Spawner) -> None:
    agent = spawn(["sleep", LONG])  # in this process's group, like the Claude CLI
    bystander = spawn(["cat"], stdin=subprocess.PIPE)
    assert os.getpgid(agent.pid) == os.getpgid(bystander.pid) == os.getpgrp()

    gone = await ProcessTree(agent.pid).terminate(term_wait=10, kill_wait=10)

    assert gone and not is_alive(agent.pid)
    assert answers(bystander)


async def test_a_tree_whose_root_is_gone_is_gone(spawn: Spawner) -> None:
    done = spawn(["true"])
    done.wait()
    tree = ProcessTree(done.pid)

    assert tree.alive() == []
    assert await tree.wait_gone(0)


async def test_wait_gone_also_waits_for_the_owner_to_reap_the_root(spawn: Spawner) -> None:
    done = spawn(["true"])
    tree = ProcessTree(done.pid)
    await _until(lambda: not is_alive(done.pid), "the child exits")

    assert not await tree.wait_gone(0, reaped=lambda: False)
    assert await tree.wait_gone(10, reaped=lambda: done.poll() is not None)


def test_a_pid_recorded_with_another_start_time_is_never_signalled(spawn: Spawner) -> None:
    other = spawn(["cat"], stdin=subprocess.PIPE, start_new_session=True)  # leads its own group
    tree = ProcessTree(other.pid)
    # White box: pretend the pid was recorded for an earlier process, i.e. it has since been recycled.
    tree._known[other.pid] -= 1
    tree._leaders[other.pid] -= 1

    tree.signal_all(signal.SIGKILL)

    assert answers(other)
    assert tree.alive() == []
