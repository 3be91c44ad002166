"""How Telegram reads a Bot API request and what it refuses: the parameters (form, multipart or JSON, nested
objects as JSON strings), HTML parse mode, text and button limits, and the error envelope."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from tg_fake_html import HtmlParseError, utf16_length, visible_text

JSON_FIELDS = ("reply_markup", "reply_parameters", "allowed_updates", "commands", "entities")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def chat_of(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "ops"}
    return {"id": chat_id, "type": "private", "first_name": "Person"}


def checked_text(text: str, parse_mode: str | None, *, limit: int | None) -> str:
    try:
        visible = visible_text(text) if parse_mode == "HTML" else text
    except HtmlParseError as error:
        raise ApiError(400, f"Bad Request: {error}") from error
    if not visible.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if limit is not None and utf16_length(visible) > limit:
        raise ApiError(400, "Bad Request: message is too long")
    return visible


def checked_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    if not markup or "inline_keyboard" not in markup:  # ForceReply and reply keyboards are not stored
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
    return markup if markup["inline_keyboard"] else None


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            else:
                params[key] = value
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params, files
