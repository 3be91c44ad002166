"""Filing and typed commands through the real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from tg_fake_api import FakeBotApi
from tg_fake_sink import FakeCommandSink
from tg_people import ALICE, GROUP, ROBOT, AdapterFactory

from bot.domain.values import ConversationRef, MessageRef, Priority
from bot.services.commands import FileHotfix, Help, Reply, ShowStatus, UsageError


async def test_start_registers_the_command_menu(fake_api: FakeBotApi, start_adapter: AdapterFactory) -> None:
    adapter = await start_adapter()
    assert [c["command"] for c in fake_api.commands] == ["hotfix", "help", "start"]
    assert [c.method for c in fake_api.calls[:2]] == ["getMe", "setMyCommands"]
    assert adapter.bot_username == "hotfix_bot"
    assert fake_api.token not in repr(adapter)
    assert not fake_api.unknown_methods


async def test_filing_in_a_private_chat(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    sink.answer(Reply(text="Filed HF-7 on shop: checkout <500> & co", hotfix_id=7))
    await start_adapter()
    message = await fake_api.push_command(ALICE["id"], ALICE, "/hotfix p0 checkout returns 500")
    (command,) = await sink.wait_for_commands(1)
    assert isinstance(command, FileHotfix)
    assert command.description == "checkout returns 500"
    assert command.priority is Priority.P0
    assert command.actor == "telegram:111"
    assert not command.actor_is_bot
    conversation = ConversationRef(platform="telegram", key="111")
    assert command.conversation == conversation
    assert command.source == MessageRef(conversation=conversation, key=str(message["message_id"]))
    await fake_api.wait_for(lambda: bool(fake_api.calls_to("sendMessage", ok_only=True)))
    (sent,) = fake_api.calls_to("sendMessage")
    assert sent.params["text"] == "Filed HF-7 on shop: checkout &lt;500&gt; &amp; co"
    assert sent.params["parse_mode"] == "HTML"
    assert fake_api.bot_messages(ALICE["id"])[0]["text"] == "Filed HF-7 on shop: checkout <500> & co"


async def test_filing_in_a_group_with_the_bot_name(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    await start_adapter()
    await fake_api.push_command(GROUP, ALICE, "/hotfix@other_bot not for us")
    message = await fake_api.push_command(GROUP, ALICE, "/hotfix@hotfix_bot repo:shop duplicate\nemails")
    (command,) = await sink.wait_for_commands(1)
    assert isinstance(command, FileHotfix)
    assert (command.repo, command.description) == ("shop", "duplicate\nemails")
    assert command.conversation == ConversationRef(platform="telegram", key=str(GROUP))
    await fake_api.wait_for(lambda: bool(fake_api.calls_to("sendMessage", ok_only=True)))
    (sent,) = fake_api.calls_to("sendMessage")
    assert sent.params["reply_parameters"]["message_id"] == message["message_id"]
    assert len(sink.commands) == 1  # the other bot's command never reached the core


async def test_sub_commands_and_bad_input_reach_the_core(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    await start_adapter()
    await fake_api.push_command(GROUP, ALICE, "/hotfix status HF-7")
    await fake_api.push_command(GROUP, ALICE, "/hotfix repo:")
    commands = await sink.wait_for_commands(2)
    by_type = {type(c): c for c in commands}
    assert by_type[ShowStatus].hotfix_id == 7
    assert UsageError in by_type


async def test_start_and_help(fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory) -> None:
    await start_adapter()
    await fake_api.push_command(ALICE["id"], ALICE, "/start")
    await fake_api.push_command(GROUP, ALICE, "/help@hotfix_bot")
    commands = await sink.wait_for_commands(2)
    assert all(isinstance(c, Help) for c in commands)


async def test_a_bot_account_is_marked(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    await start_adapter()
    await fake_api.push_command(GROUP, ROBOT, "/hotfix drop the table")
    (command,) = await sink.wait_for_commands(1)
    assert command.actor_is_bot
    assert command.actor == "telegram:999"


async def test_an_edited_command_is_not_run_again(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    await start_adapter()
    message = fake_api.new_message(
        GROUP,
        ALICE,
        "/hotfix fix it",
        edit_date=1700000100,
        entities=[{"type": "bot_command", "offset": 0, "length": 7}],
    )
    await fake_api.push_update({"edited_message": message})
    await fake_api.push_command(GROUP, ALICE, "/hotfix the real one")
    (command,) = await sink.wait_for_commands(1)
    assert isinstance(command, FileHotfix) and command.description == "the real one"


async def test_a_failing_core_gets_a_one_line_reply_with_a_reference(
    fake_api: FakeBotApi, sink: FakeCommandSink, start_adapter: AdapterFactory
) -> None:
    async def explode(command: object) -> Reply:
        raise RuntimeError("db password=hunter2 at /very/long/internal/path.py")

    sink.script = explode
    await start_adapter()
    await fake_api.push_command(GROUP, ALICE, "/hotfix fix it")
    await fake_api.wait_for(lambda: bool(fake_api.calls_to("sendMessage", ok_only=True)))
    text = fake_api.calls_to("sendMessage")[0].params["text"]
    assert "ref " in text and "\n" not in text
    assert "hunter2" not in text and "Traceback" not in text and "/very/long" not in text
