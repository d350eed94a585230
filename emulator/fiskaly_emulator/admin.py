# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The unauthenticated admin API under /_emulator/ that drives the emulator's state from another process.

Every endpoint declares the query parameters and whether the JSON body it takes; handle() checks both whole
(unknown or repeated parameters, a body where none is taken, NaN, Infinity or an out-of-range number anywhere)
before the endpoint's own checks run, so an endpoint added to ENDPOINTS gets the same checks. Every refusal is a
400 whose message names the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ApiError, bad_request
from .faults import check_method
from .reply import Reply, json_reply
from .state import EmulatorState
from .validation import check_ttl

PREFIX = "/_emulator/"

# The body as the endpoint receives it when none was sent.
NO_BODY: Any = None


@dataclass(frozen=True)
class Endpoint:
    """One method of one admin path: the call on the state it makes and the input it takes."""

    call: Callable[[EmulatorState, dict[str, str], Any], Any]
    query: tuple[str, ...] = ()
    body: bool = False


def field_path(*parts: str | int) -> str:
    """Name a field inside a JSON input the way the messages do: faults[0].delay."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text or "the body"


def _non_finite(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path of the first number in ``value`` that is not finite, or None.

    Python's json takes NaN and Infinity, which are not JSON, and reads 1e400 as infinity: each would pass a range
    check (NaN passes every comparison) and then crash a sleep or come back as a Retry-After of "inf".
    """
    if isinstance(value, float) and not math.isfinite(value):
        return path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _non_finite(item, (*path, key))
        if found is not None:
            return found
    return None


def parse_body(body: bytes) -> Any:
    """Decode a JSON body strictly: NaN, Infinity and numbers beyond a double's range are refused, naming the field."""
    if not body.strip():
        return NO_BODY
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad_request("E_INVALID_JSON", "request body must be JSON in UTF-8") from None
    except ValueError as exc:
        # json's own messages say where: line and column.
        raise bad_request("E_INVALID_JSON", f"request body must be JSON: {exc}") from None
    path = _non_finite(value)
    if path is not None:
        raise bad_request(
            "E_VALIDATION",
            (
                f"{field_path(*path)} must be a finite number: NaN and Infinity are not JSON, nor is a "
                "number beyond 1.8e308"
            ),
        )
    return value


def parse_query(query: dict[str, list[str]], allowed: tuple[str, ...], where: str) -> dict[str, str]:
    """Each parameter at most once and only those the endpoint takes."""
    for name, values in query.items():
        if name not in allowed:
            takes = f"allowed: {', '.join(allowed)}" if allowed else "it takes none"
            raise bad_request("E_INVALID_QUERY", f"unknown query parameter {json.dumps(name)} for {where}; {takes}")
        if len(values) != 1:
            raise bad_request("E_INVALID_QUERY", f"query parameter '{name}' may be given once")
    return {name: values[0] for name, values in query.items()}


def check_object(value: Any, name: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with only the allowed fields and every required one; raise ValueError naming the field."""
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object with {', '.join(repr(field) for field in allowed)}")
    unknown = [field for field in value if field not in allowed]
    if unknown:
        raise ValueError(f"unknown field {field_path(unknown[0])} in {name}; allowed: {', '.join(allowed)}")
    missing = [field for field in required if field not in value]
    if missing:
        raise ValueError(f"{name} needs the field {missing[0]!r}")
    return value


def check_bool(options: dict[str, Any], name: str, default: bool) -> bool:
    """A boolean field: true or false, nothing that merely looks like one."""
    value = options.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"{name!r} must be true or false")
    return value


def _reset(state: EmulatorState, _query: dict[str, str], body: Any) -> Any:
    options = check_object({} if body is NO_BODY else body, "the reset body", ("access_token_ttl", "refresh_token_ttl"))
    ttls = {
        name: check_ttl(options[name], name) for name in ("access_token_ttl", "refresh_token_ttl") if name in options
    }
    state.reset(ttls.get("access_token_ttl"), ttls.get("refresh_token_ttl"))
    return {"access_token_ttl": state.access_token_ttl, "refresh_token_ttl": state.refresh_token_ttl}


def _seed(state: EmulatorState, _query: dict[str, str], body: Any) -> Any:
    if isinstance(body, dict):
        body = check_object(body, "the keys body", ("keys",), ("keys",))["keys"]
    return {"keys": state.seed_keys(body)}


def _requests(state: EmulatorState, query: dict[str, str], _body: Any) -> Any:
    method = check_method(query["method"], "method") if "method" in query else None
    prefix = query.get("path_prefix")
    if prefix is not None and not prefix.startswith("/"):
        raise ValueError("'path_prefix' must start with '/', relative to /api/v0, e.g. /api_keys/")
    return {"requests": state.requests(None if method == "*" else method, prefix)}


def _inject(state: EmulatorState, _query: dict[str, str], body: Any) -> Any:
    spec = check_object(body, "the faults body", ("method", "path", "faults"), ("method", "path", "faults"))
    return {"queued": state.inject(spec["method"], spec["path"], spec["faults"])}


def _expire_tokens(state: EmulatorState, _query: dict[str, str], body: Any) -> Any:
    options = check_object({} if body is NO_BODY else body, "the expire-tokens body", ("access", "refresh"))
    access, refresh = check_bool(options, "access", True), check_bool(options, "refresh", False)
    return {
        "expired": {
            "access": state.expire_access_tokens() if access else 0,
            "refresh": state.expire_refresh_tokens() if refresh else 0,
        }
    }


def _minted(state: EmulatorState, query: dict[str, str], _body: Any) -> Any:
    start = query.get("since", "0")
    if not start.isascii() or not start.isdigit():
        raise ValueError("'since' must be a non-negative integer, the count of an earlier answer")
    return state.minted.as_json(int(start))


def _set_network(state: EmulatorState, _query: dict[str, str], body: Any) -> Any:
    options = check_object(body, "the network body", ("latency", "rate_limit"))
    if not options:
        raise ValueError(
            'the network body needs "latency" (seconds, 0 to 60) and/or "rate_limit" (requests per second, '
            "or null for no limit)"
        )
    return state.set_network(**options)


def _change_listing(state: EmulatorState, _query: dict[str, str], body: Any) -> Any:
    # Checked whole once, here: its messages show the form expected of a body that is no such object.
    return {"queued": state.queue_listing_changes(body)}


ENDPOINTS: dict[str, dict[str, Endpoint]] = {
    "reset": {"POST": Endpoint(_reset, body=True)},
    "keys": {"GET": Endpoint(lambda state, _query, _body: {"keys": state.keys()}), "POST": Endpoint(_seed, body=True)},
    "requests": {
        "GET": Endpoint(_requests, query=("method", "path_prefix")),
        "DELETE": Endpoint(lambda state, _query, _body: {"cleared": state.clear_requests()}),
    },
    "faults": {
        "GET": Endpoint(lambda state, _query, _body: {"faults": state.pending_faults()}),
        "POST": Endpoint(_inject, body=True),
    },
    "expire-tokens": {"POST": Endpoint(_expire_tokens, body=True)},
    "stats": {"GET": Endpoint(lambda state, _query, _body: state.stats())},
    "minted": {"GET": Endpoint(_minted, query=("since",))},
    "network": {
        "GET": Endpoint(lambda state, _query, _body: state.network_settings()),
        "POST": Endpoint(_set_network, body=True),
    },
    "dialect": {"GET": Endpoint(lambda state, _query, _body: state.dialect())},
    "listing-changes": {
        "GET": Endpoint(lambda state, _query, _body: {"listing_changes": state.pending_listing_changes()}),
        "POST": Endpoint(_change_listing, body=True),
    },
}


class AdminApi:  # pylint: disable=too-few-public-methods
    """Maps admin requests onto the Python API of the emulator's state."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        """Answer an admin request; its input is checked whole first, and ValueError from the Python API becomes a
        400."""
        name = path[len(PREFIX) :]
        methods = ENDPOINTS.get(name)
        if methods is None:
            raise ApiError(404, "E_NOT_FOUND", "no such admin endpoint")
        endpoint = methods.get(method)
        if endpoint is None:
            allowed = ", ".join(methods)
            raise ApiError(
                405,
                "E_METHOD_NOT_ALLOWED",
                f"method {method} is not allowed here; allowed: {allowed}",
                {"Allow": allowed},
            )
        where = f"{method} {PREFIX}{name}"
        options = parse_query(query, endpoint.query, where)
        if not endpoint.body and body.strip():
            raise bad_request("E_VALIDATION", f"{where} takes no body")
        payload = parse_body(body) if endpoint.body else NO_BODY
        try:
            answer = endpoint.call(self.state, options, payload)
        except ValueError as exc:
            raise bad_request("E_VALIDATION", str(exc)) from None
        return json_reply(200, answer)
