"""Queue-noise warnings for the triage owner."""

from __future__ import annotations

from bot.domain.noise import queue_noise


def test_a_healthy_queue_says_nothing() -> None:
    assert queue_noise(open_p0=3, queue_length=8, file_touches={"src/checkout.py": 2}) == ()


def test_every_kind_of_noise_in_order() -> None:
    warnings = queue_noise(open_p0=4, queue_length=9, file_touches={"src/checkout.py": 3, "README.md": 1})
    assert warnings == (
        "4 open p0 hotfixes",
        "queue is long: 9 waiting",
        "src/checkout.py touched by 3 hotfixes in 7 days",
    )


def test_limits_are_configurable() -> None:
    warnings = queue_noise(
        open_p0=1, queue_length=3, file_touches={"a.py": 2}, p0_limit=0, queue_limit=2, touch_limit=2
    )
    assert warnings == ("1 open p0 hotfix", "queue is long: 3 waiting", "a.py touched by 2 hotfixes in 7 days")


def test_hot_files_most_touched_first_then_by_path() -> None:
    touches = {"b.py": 3, "a.py": 3, "c.py": 5, "d.py": 0}
    assert queue_noise(open_p0=0, queue_length=0, file_touches=touches) == (
        "c.py touched by 5 hotfixes in 7 days",
        "a.py touched by 3 hotfixes in 7 days",
        "b.py touched by 3 hotfixes in 7 days",
    )


def test_many_hot_files_are_summarised() -> None:
    touches = {f"src/f{n}.py": 4 for n in range(8)}
    warnings = queue_noise(open_p0=0, queue_length=0, file_touches=touches)
    assert len(warnings) == 6
    assert warnings[-1] == "… and 3 more files touched that often"


def test_a_zero_touch_limit_never_warns_about_untouched_files() -> None:
    assert queue_noise(open_p0=0, queue_length=0, file_touches={"a.py": 0}, touch_limit=0) == ()


def test_paths_are_made_printable_and_shortened() -> None:
    long_path = "src/" + "deep/" * 40 + "checkout.py"
    warnings = queue_noise(open_p0=0, queue_length=0, file_touches={"evil\x1b[31m\n.py": 3, long_path: 3})
    assert warnings[0] == "evil?[31m?.py touched by 3 hotfixes in 7 days"
    shown = warnings[1].split(" touched by ")[0]
    assert len(shown) <= 80
    assert shown.startswith("src/deep/") and shown.endswith("checkout.py") and "…" in shown
