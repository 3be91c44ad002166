"""Cards the contract tests post (built from the core's card model)."""

from __future__ import annotations

from bot.render.card import Button, Card, Field
from bot.services.commands import ButtonAction


def status_card(step: str = "running", *, buttons: tuple[Button, ...] = (), decided: str | None = None) -> Card:
    return Card(
        key="status:7",
        kind="status",
        title="HF-7 · shop · checkout returns 500",
        hotfix_id=7,
        badges=("p0", "shared state"),
        fields=(Field(label="State", value=step), Field(label="Branch", value="hotfix/7-checkout-500")),
        blocker="waiting for an approver: telegram:222",
        buttons=buttons,
        decided=decided,
    )


def every_button() -> tuple[Button, ...]:
    return tuple(
        Button(label=action.name.title(), action=action, token=f"tok-{action.value}") for action in ButtonAction
    )


def stop_button() -> tuple[Button, ...]:
    return (Button(label="Stop", action=ButtonAction.STOP, token="7", style="danger"),)
