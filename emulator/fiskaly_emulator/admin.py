# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The unauthenticated admin API under /_emulator/ that drives the emulator from another process."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request
from .reply import Reply, json_reply

if TYPE_CHECKING:
    from .emulator import Emulator

PREFIX = "/_emulator/"


def _json(body: bytes, default: Any) -> Any:
    if not body.strip():
        return default
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad_request("E_INVALID_JSON", "request body must be JSON") from None


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


class AdminApi:  # pylint: disable=too-few-public-methods
    """Maps admin requests onto the Emulator's Python API."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        """Answer an admin request; ValueError from the Python API becomes a 400."""
        routes: dict[str, dict[str, Any]] = {
            "reset": {"POST": self._reset},
            "keys": {"GET": self._keys, "POST": self._seed},
            "requests": {"GET": self._requests, "DELETE": self._clear_requests},
            "faults": {"GET": self._pending_faults, "POST": self._inject},
            "expire-tokens": {"POST": self._expire_tokens},
            "stats": {"GET": self._stats},
            "minted": {"GET": self._minted},
            "network": {"GET": self._network, "POST": self._set_network},
            "listing-changes": {"GET": self._listing_changes, "POST": self._change_listing},
        }
        methods = routes.get(path[len(PREFIX) :])
        if methods is None:
            raise ApiError(404, "E_NOT_FOUND", "no such admin endpoint")
        if method not in methods:
            allowed = ", ".join(methods)
            raise ApiError(405, "E_METHOD_NOT_ALLOWED", f"method {method} is not allowed here; allowed: {allowed}", {"Allow": allowed})
        try:
            return json_reply(200, methods[method](query, body))
        except ValueError as exc:
            raise bad_request("E_VALIDATION", str(exc)) from None

    def _reset(self, _query: dict[str, list[str]], body: bytes) -> Any:
        options = _json(body, {})
        if not isinstance(options, dict) or set(options) - {"access_token_ttl", "refresh_token_ttl"}:
            raise ValueError("reset takes an object with optional 'access_token_ttl' and 'refresh_token_ttl'")
        self.emulator.reset(options.get("access_token_ttl"), options.get("refresh_token_ttl"))
        return {"access_token_ttl": self.emulator.access_token_ttl, "refresh_token_ttl": self.emulator.refresh_token_ttl}

    def _keys(self, _query: dict[str, list[str]], _body: bytes) -> Any:
        return {"keys": self.emulator.keys()}

    def _seed(self, _query: dict[str, list[str]], body: bytes) -> Any:
        records = _json(body, None)
        if isinstance(records, dict):
            records = records.get("keys")
        return {"keys": self.emulator.seed_keys(records)}

    def _requests(self, query: dict[str, list[str]], _body: bytes) -> Any:
        return {"requests": self.emulator.requests(_one(query, "method"), _one(query, "path_prefix"))}

    def _clear_requests(self, _query: dict[str, list[str]], _body: bytes) -> Any:
        return {"cleared": self.emulator.clear_requests()}

    def _pending_faults(self, _query: dict[str, list[str]], _body: bytes) -> Any:
        return {"faults": self.emulator.pending_faults()}

    def _inject(self, _query: dict[str, list[str]], body: bytes) -> Any:
        spec = _json(body, None)
        if not isinstance(spec, dict) or set(spec) != {"method", "path", "faults"}:
            raise ValueError('faults take an object {"method", "path", "faults": [...]}')
        return {"queued": self.emulator.inject(spec["method"], spec["path"], spec["faults"])}

    def _expire_tokens(self, _query: dict[str, list[str]], body: bytes) -> Any:
        options = _json(body, {})
        if not isinstance(options, dict) or set(options) - {"access", "refresh"}:
            raise ValueError("expire-tokens takes an object with optional booleans 'access' (default true) and 'refresh' (default false)")
        expired = {"access": 0, "refresh": 0}
        if options.get("access", True):
            expired["access"] = self.emulator.expire_access_tokens()
        if options.get("refresh", False):
            expired["refresh"] = self.emulator.expire_refresh_tokens()
        return {"expired": expired}

    def _minted(self, query: dict[str, list[str]], _body: bytes) -> Any:
        start = _one(query, "since") or "0"
        if not start.isascii() or not start.isdigit():
            raise ValueError("since must be a non-negative integer, the count of an earlier answer")
        return self.emulator.minted.as_json(int(start))

    def _network(self, _query: dict[str, list[str]], _body: bytes) -> Any:
        return self.emulator.network_settings()

    def _set_network(self, _query: dict[str, list[str]], body: bytes) -> Any:
        options = _json(body, None)
        if not isinstance(options, dict) or not options or set(options) - {"latency", "rate_limit"}:
            raise ValueError('network takes an object with "latency" (seconds, 0 to 60) and/or "rate_limit" (requests per second, or null for no limit)')
        return self.emulator.set_network(**options)

    def _stats(self, _query: dict[str, list[str]], _body: bytes) -> Any:
        return self.emulator.stats()

    def _listing_changes(self, _query: dict[str, list[str]], _body: bytes) -> Any:
        return {"listing_changes": self.emulator.pending_listing_changes()}

    def _change_listing(self, _query: dict[str, list[str]], body: bytes) -> Any:
        spec = _json(body, None)
        if not isinstance(spec, dict) or set(spec) != {"after_offset", "changes"}:
            raise ValueError('listing-changes take an object {"after_offset": N, "changes": [{"create": [...], "delete": [...]}, ...]}')
        return {"queued": self.emulator.change_after_page(spec["after_offset"], spec["changes"])}
