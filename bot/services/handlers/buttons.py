"""Button presses: resolve the opaque token on the server, then run the same code as the typed command."""

from __future__ import annotations

from bot.domain.errors import Conflict, NotFound
from bot.domain.hotfix import Hotfix
from bot.domain.people import Action
from bot.domain.values import State
from bot.services.bus import MessageBus
from bot.services.commands import ButtonAction, PressButton, Reply, ReviseHotfix
from bot.services.handlers import control, decisions, reads
from bot.services.handlers.guard import require

__all__ = ["press_button"]

INVALID = "This button is no longer valid."
APPROVAL_ACTIONS = frozenset({ButtonAction.APPROVE, ButtonAction.DENY, ButtonAction.CONTINUE})


async def press_button(cmd: PressButton, bus: MessageBus) -> Reply:
    with bus.deps.uow() as uow:
        hotfix = uow.hotfixes.by_token(cmd.token)
    if hotfix is None:
        raise NotFound(INVALID)
    is_card = cmd.token == hotfix.card_token
    if cmd.action in APPROVAL_ACTIONS:
        if is_card:
            raise NotFound(INVALID)
        approval = hotfix.approval(cmd.token)
        return await decisions.decide(bus, cmd, hotfix, approval, approve=cmd.action is not ButtonAction.DENY)
    if cmd.action is ButtonAction.STOP:
        return await control.stop(bus, cmd, hotfix)
    if not is_card:
        raise NotFound(INVALID)
    return await _card_action(bus, cmd, hotfix)


async def _card_action(bus: MessageBus, cmd: PressButton, hotfix: Hotfix) -> Reply:
    match cmd.action:
        case ButtonAction.REVISE:
            if cmd.text is None:
                await require(bus, cmd, Action.REVISE, hotfix)
                if hotfix.state is not State.REVIEW:  # a stale card: don't ask for feedback that cannot be used
                    raise Conflict(f"{hotfix.label} is {hotfix.state.value}: only a hotfix in review can be revised")
                return Reply(text=f"Revise {hotfix.hid}: reply to this message with your feedback for {hotfix.label}.",
                             hotfix_id=hotfix.number, prompt=f"What should change in {hotfix.label}?")
            return await control.revise_hotfix(ReviseHotfix(
                actor=cmd.actor, conversation=cmd.conversation, source=cmd.source, actor_is_bot=cmd.actor_is_bot,
                hotfix_id=hotfix.number, feedback=cmd.text), bus)
        case ButtonAction.RESET:
            return await control.reset(bus, cmd, hotfix)
        case ButtonAction.FULL_DIFF:
            return await reads.full_diff(bus, cmd, hotfix)
        case ButtonAction.PATCH:
            return await control.patch_after_review(bus, cmd, hotfix)
        case ButtonAction.CLOSE:
            return await control.close_review(bus, cmd, hotfix)
        case ButtonAction.RESUME:
            return await control.resume_hotfix(bus, cmd, hotfix)
    raise Conflict(INVALID)
