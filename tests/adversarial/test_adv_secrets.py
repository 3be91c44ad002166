"""Secrets planted in agent prose, tool output, command lines, the final report, verification output, file contents
and diffs (and in a person's own /hotfix text): none reaches a card, a reply, an uploaded file or a log line.
The corpus is tests/unit/secret_corpus.py (realistic formats, fake values)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import pytest

from bot.domain.agent import AgentEvent
from bot.render.card import Card
from bot.services.commands import Reply
from tests.adversarial.conftest import APPROVER, FILER, URGENT, cmd, edit, writes
from tests.fakes.agent import Step
from tests.unit.conftest import World
from tests.unit.secret_corpus import SECRETS, SecretSample

PROSE = [s for s in SECRETS if s.anywhere]  # recognised inside running text
LEAKED_FILE = "shop/settings.py"


def card_text(card: Card) -> Iterator[str]:
    yield card.title
    yield from card.badges
    for f in card.fields:
        yield f.label
        yield f.value
    yield from (card.blocker or "", card.code or "", card.decided or "", card.code_label or "")
    yield from card.body
    for b in card.buttons:
        yield b.label


def everything_seen(world: World, replies: list[Reply], caplog: pytest.LogCaptureFixture) -> str:
    seen: list[str] = []
    for posted in world.notifier.messages.values():
        for card in posted.cards:
            seen.extend(card_text(card))
            seen.append(card.fallback_text())
    seen.extend(text for _c, text in world.notifier.replies)
    seen.extend(content.decode("utf-8", "replace") for _c, _n, content in world.notifier.uploads)
    for r in replies:
        seen.append(r.text)
        if r.attachment is not None:
            seen.append(r.attachment.content.decode("utf-8", "replace"))
    for record in caplog.records:
        seen.append(record.getMessage())
        seen.append(record.exc_text or "")
    return "\n".join(seen)


def leaked(samples: Sequence[SecretSample], seen: str) -> list[str]:
    return [s.name for s in samples if s.secret in seen]


async def reads_of_everything(world: World) -> list[Reply]:
    return [await world.say(text, actor=APPROVER) for text in ("/hotfix status 1", "/hotfix log 1",
                                                                 "/hotfix diff 1", "/hotfix queue")]


def planted_lines(samples: Sequence[SecretSample]) -> str:
    return "\n".join(s.text for s in samples)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


async def test_agent_prose_tool_output_and_report(world: World, logs: pytest.LogCaptureFixture) -> None:
    text = planted_lines(PROSE)
    world.agent.outcome_text = f"Fixed.\n{text}\nManual verification:\n1. curl it"
    world.agent.on_allow = writes(world, {"shop/webhook.py": "x = 1\n"})
    world.agent.scripts = [[AgentEvent(kind="said", text=text),
                            AgentEvent(kind="tool_requested", tool="Bash", text=text),
                            AgentEvent(kind="tool_ran", tool="Bash", text=text),
                            AgentEvent(kind="tool_failed", tool="Bash", text=text),
                            edit("shop/webhook.py"), AgentEvent(kind="files_changed", paths=("shop/webhook.py",))]]
    replies = [await world.say(URGENT, actor=FILER), *await reads_of_everything(world)]
    assert world.hotfix().report  # the report was taken (and must have been masked)
    assert leaked(PROSE, everything_seen(world, replies, logs)) == []


async def test_every_secret_alone_in_agent_prose(world: World, logs: pytest.LogCaptureFixture) -> None:
    """One secret per line, as the agent's last word (the status card shows it as the last action)."""
    said: list[Step] = [AgentEvent(kind="said", text=s.text) for s in SECRETS]
    world.agent.scripts = [[*said, "hang"]]
    replies = [await world.say(URGENT, actor=FILER), await world.say("/hotfix log 1", actor=APPROVER)]
    assert leaked(SECRETS, everything_seen(world, replies, logs)) == []


async def test_command_lines_asking_for_approval(world: World, logs: pytest.LogCaptureFixture) -> None:
    """A command line with a secret in it: the approval card and the audit trail show it masked."""
    world.agent.scripts = [[cmd(f"make deploy-check {s.text.replace(chr(10), ' ')}") for s in PROSE[:20]]]
    replies = [await world.say(URGENT, actor=FILER)]
    for _ in range(20):
        if world.hotfix().current_approval() is None:
            break
        replies.append(await world.say("/hotfix deny 1 no", actor=APPROVER))
    replies += await reads_of_everything(world)
    assert leaked(PROSE[:20], everything_seen(world, replies, logs)) == []


async def test_verification_output(world: World, logs: pytest.LogCaptureFixture) -> None:
    tail = planted_lines(SECRETS)
    world.verifier.script(exit_code=1, summary=f"1 failed {PROSE[0].text}", output_tail=tail)
    world.agent.on_allow = writes(world, {"shop/webhook.py": "x = 1\n"})
    world.agent.scripts = [[edit("shop/webhook.py")]]
    replies = [await world.say(URGENT, actor=FILER), *await reads_of_everything(world)]
    assert world.hotfix().verification is not None
    assert leaked(SECRETS, everything_seen(world, replies, logs)) == []


async def test_file_contents_and_the_diff(world: World, logs: pytest.LogCaptureFixture) -> None:
    """The agent writes every secret into a source file: the review excerpt, the full-diff upload, the log and
    the ship reply show them masked (the commit itself is the reviewed diff, unchanged)."""
    content = "\n".join(s.text.removeprefix("+") for s in SECRETS) + "\n"  # diff-env-line: as a diff shows it
    world.agent.on_allow = writes(world, {LEAKED_FILE: content})
    world.agent.scripts = [[edit(LEAKED_FILE), AgentEvent(kind="files_changed", paths=(LEAKED_FILE,))]]
    replies = [await world.say(URGENT, actor=FILER), *await reads_of_everything(world)]
    replies.append(await world.press("Full diff", APPROVER, card_prefix="review:"))
    assert any(r.attachment for r in replies)
    seen = everything_seen(world, replies, logs)
    assert leaked(SECRETS, seen) == []
    masked = [s.name for s in SECRETS if s.shown and s.shown not in seen]
    assert len(masked) < len(SECRETS) // 4, f"masking should keep enough to recognise the secret: {masked}"


async def test_a_person_pasting_a_secret_into_the_hotfix_text(world: World, logs: pytest.LogCaptureFixture) -> None:
    """People paste tokens too: the title, cards, the log and the agent's own view of it are masked."""
    sample = next(s for s in PROSE if s.name == "github-classic")
    world.agent.scripts = [["hang"]]
    replies = [await world.say(f"{URGENT} since {sample.text}", actor=FILER),
               await world.say("/hotfix queue", actor=APPROVER), await world.say("/hotfix status 1", actor=APPROVER),
               await world.say("/hotfix log 1", actor=APPROVER)]
    assert leaked([sample], everything_seen(world, replies, logs)) == []
