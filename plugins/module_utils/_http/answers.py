# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The answers of the API, and their checks against the contract (internal to this collection, not a public API).

Each check takes an answer whose status says success and returns what the caller wants of it (a token object, a key
object, a page of keys), or raises ``MalformedAnswer`` saying how the answer breaks the contract, without quoting
what may be a secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import _messages as messages
from .failures import MalformedAnswer
from .routes import ManagementApi

NOT_JSON = object()


@dataclass
class Answer:
    status: int
    body: object  # NOT_JSON where the body is not JSON
    text: str
    may_have_reached_api: bool  # an attempt before this answer may have been carried out (see failures)
    attempts: int = 1  # how many attempts this answer took, itself included


def parsed(content: bytes) -> object:
    """The JSON value of a body, or NOT_JSON."""
    try:
        return json.loads(content.decode("utf-8-sig")) if content.strip() else NOT_JSON
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python parses
        return NOT_JSON


def shape(value: object) -> str:
    """What a JSON value is, for a message that must not show it."""
    if value is NOT_JSON:
        return "a body that is not JSON"
    names = {
        dict: "a JSON object",
        list: "a JSON list",
        str: "a JSON string",
        bool: "a JSON boolean",
        type(None): "JSON null",
    }
    return names.get(type(value), "a JSON number")


def json_body(activity: str, answer: Answer, holds_secret: bool) -> Answer:
    """``answer``, whose status says success, if its body is JSON; the body of one that ``holds_secret`` is never
    quoted back."""
    if answer.body is NOT_JSON:
        shown = messages.body_hidden(len(answer.text)) if holds_secret else repr(messages.excerpt(answer.text))
        raise MalformedAnswer(activity, answer.status, messages.body_not_json(shown))
    return answer


def api_error(api: ManagementApi | type[ManagementApi], answer: Answer) -> tuple[str | None, str]:
    """The ``code`` and the message of an error answer, as the API's JSON error has them, or what came instead."""
    body, message, code = answer.body, api.ERROR_MESSAGE, api.ERROR_CODE
    if isinstance(body, dict) and isinstance(body.get(message), str):
        return (body.get(code) if isinstance(body.get(code), str) else None), body[message]
    shown = messages.excerpt(answer.text) if answer.text.strip() else messages.EMPTY_BODY
    return None, messages.not_the_api_error(shown)


def token_object(api: ManagementApi | type[ManagementApi], activity: str, answer: Answer) -> dict:
    token, field = answer.body, api.ACCESS_TOKEN
    if not isinstance(token, dict) or not isinstance(token.get(field), str) or not token[field]:
        raise MalformedAnswer(activity, answer.status, messages.NO_ACCESS_TOKEN)
    value = token[field]
    if not value.isascii() or any(character.isspace() or not character.isprintable() for character in value):
        raise MalformedAnswer(activity, answer.status, messages.UNUSABLE_ACCESS_TOKEN)
    return token


def key_object(activity: str, answer: Answer) -> dict:
    if not isinstance(answer.body, dict):
        raise MalformedAnswer(activity, answer.status, messages.not_a_key_object(shape(answer.body)))
    return answer.body


def page(api: ManagementApi | type[ManagementApi], answer: Answer, at: int) -> tuple[list, int]:
    """The keys and the count of a list object, checked against the contract."""
    body, where, activity = answer.body, messages.page_at(at), messages.ACTIVITY_LIST
    data, counted = api.PAGE_KEYS, api.PAGE_COUNT
    if not isinstance(body, dict):
        raise MalformedAnswer(activity, answer.status, messages.page_not_a_list_object(shape(body), where))
    keys, count = body.get(data), body.get(counted)
    if not isinstance(keys, list):
        has = shape(keys) if data in body else "none"
        raise MalformedAnswer(activity, answer.status, messages.page_without_data(where, has))
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        is_int = isinstance(count, int) and not isinstance(count, bool)
        shown = count if is_int else shape(count) if counted in body else "none"
        raise MalformedAnswer(activity, answer.status, messages.page_without_count(where, shown))
    # The fields that tell keys apart: the name (the draft), or the _id and the name (0.12).
    fields = dict.fromkeys((api.KEY_IDENTITY, api.KEY_NAME))
    for index, key in enumerate(keys):
        missing = next(
            (name for name in fields if not isinstance(key, dict) or not isinstance(key.get(name), str)), None
        )
        if missing is not None:
            what = shape(key) if not isinstance(key, dict) else messages.object_without_string(missing)
            raise MalformedAnswer(activity, answer.status, messages.page_item_not_a_key(where, index, what))
    return keys, count
