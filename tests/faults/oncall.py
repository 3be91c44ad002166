"""The people in the Telegram group, as the fault tests play them: they read the cards the fake Bot API holds and
press the buttons they see (old ones included), the way a person would after the bot came back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.faults.conftest import ALICE, BOB, GROUP, FakeBotApi

UNANSWERED_RETRY_SECONDS = 10.0  # a press nobody answered (the bot died holding it) is pressed again after this


@dataclass
class Press:
    label: str
    data: str
    who: str
    message_id: int
    query_id: str
    at: float
    card: str  # approval | review | status


class OnCall:
    def __init__(self, api: FakeBotApi, hid: str = "HF-1") -> None:
        self.api = api
        self.hid = hid
        self.presses: list[Press] = []

    # ----- what a person sees
    def messages(self) -> list[dict[str, Any]]:
        return self.api.bot_messages(GROUP)

    @staticmethod
    def buttons(message: dict[str, Any]) -> dict[str, str]:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return {button["text"]: button["callback_data"] for row in rows for button in row}

    def _cards(self, kind: str) -> list[dict[str, Any]]:
        found = []
        for message in self.messages():
            title = message.get("text", "").split("\n", 1)[0]
            if not title.startswith(f"{self.hid} · shop · "):
                continue
            suffix = "approval" if "— approval needed" in title else "review" if title.endswith("— review") else ""
            if (suffix or "status") == kind:
                found.append(message)
        return found

    def status(self) -> dict[str, Any] | None:
        cards = self._cards("status")
        return cards[0] if cards else None

    def status_text(self) -> str:
        card = self.status()
        return card.get("text", "") if card else ""

    def approvals(self) -> list[dict[str, Any]]:
        return self._cards("approval")

    def review(self) -> dict[str, Any] | None:
        cards = self._cards("review")
        return cards[-1] if cards else None

    def shows(self, state_label: str) -> bool:
        return f"State: {state_label}" in self.status_text()

    # ----- what a person does
    async def file(self, description: str) -> None:
        await self.api.push_command(GROUP, ALICE, f"/hotfix {description}")

    async def press(self, message: dict[str, Any], label: str, who: dict[str, Any], card: str) -> Press:
        data = self.buttons(message)[label]
        query_id = await self.api.press(GROUP, message["message_id"], who, data)
        press = Press(label=label, data=data, who=f"telegram:{who['id']}", message_id=message["message_id"],
                      query_id=query_id, at=time.monotonic(), card=card)
        self.presses.append(press)
        return press

    def answer(self, press: Press) -> dict[str, Any] | None:
        return self.api.answers.get(press.query_id)

    def accepted(self, press: Press) -> bool:
        answer = self.answer(press)
        return answer is not None and str(answer.get("show_alert")).lower() not in ("true", "1")

    def _may_press(self, message: dict[str, Any], label: str) -> bool:
        data = self.buttons(message).get(label)
        if data is None:
            return False
        for press in self.presses:
            if press.message_id == message["message_id"] and press.data == data:
                if self.answer(press) is not None:
                    return False  # answered (done, or refused with a reason): pressing again changes nothing
                if time.monotonic() - press.at < UNANSWERED_RETRY_SECONDS:
                    return False  # still spinning
        return True

    async def act(self) -> bool:
        """Press the one button a person would press next; False when there is nothing to press."""
        status = self.status()
        if status is not None and self._may_press(status, "Resume"):
            await self.press(status, "Resume", ALICE, "status")
            return True
        for approval in self.approvals():
            if self._may_press(approval, "Approve"):
                await self.press(approval, "Approve", BOB, "approval")
                return True
        review = self.review()
        if review is not None and self._may_press(review, "Approve"):
            await self.press(review, "Approve", BOB, "review")
            return True
        return False

    async def carry_on(self, until: Callable[[], bool], *, timeout: float = 90.0) -> None:
        """Act on what is shown until ``until()`` holds."""
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise AssertionError(f"the flow did not finish; the status card says:\n{self.status_text()}")
            if not await self.act():
                await self.changed(0.3)

    async def changed(self, seconds: float) -> None:
        seen = len(self.api.calls)
        try:
            await self.api.wait_for(lambda: len(self.api.calls) > seen, timeout=seconds)
        except TimeoutError:
            pass
