# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Routing and operations of the Management API under /api/v0."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote

from .errors import ApiError, unauthorized
from .reply import Reply, json_reply
from .store import KeyStore
from .tokens import Grant, TokenService
from .validation import (
    check_auth_body,
    check_create_body,
    check_key_name,
    check_list_query,
    check_update_body,
    parse_json_object,
)


@dataclass(frozen=True)
class Credential:
    """An api_key/api_secret pair the emulator accepts."""

    api_key: str
    api_secret: str
    readonly: bool

    def matches(self, api_key: str, api_secret: str) -> bool:
        """Compare both halves in constant time."""
        key_ok = hmac.compare_digest(api_key.encode("utf-8"), self.api_key.encode("utf-8"))
        secret_ok = hmac.compare_digest(api_secret.encode("utf-8"), self.api_secret.encode("utf-8"))
        return key_ok and secret_ok


@dataclass(frozen=True)
class Request:
    """The parts of a request the operations use."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    body: bytes


class ManagementApi:  # pylint: disable=too-few-public-methods
    """Answers requests whose path is relative to /api/v0."""

    def __init__(self, keys: KeyStore, tokens: TokenService, credentials: tuple[Credential, ...]) -> None:
        self.keys = keys
        self.tokens = tokens
        self.credentials = credentials

    def handle(self, request: Request) -> Reply:
        """Route a request and run its operation; errors become error replies via ApiError."""
        operation, allowed, name = self._route(request.path)
        if request.method not in allowed:
            raise ApiError(
                405,
                "E_METHOD_NOT_ALLOWED",
                f"method {request.method} is not allowed here; allowed: {', '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        return operation(request, name)

    def _route(self, path: str) -> tuple[Callable[[Request, str], Reply], tuple[str, ...], str]:
        if path == "/auth":
            return self._auth, ("POST",), ""
        if path == "/api_keys":
            return self._list, ("GET",), ""
        prefix, separator, raw_name = path.partition("/api_keys/")
        if separator and not prefix and raw_name and "/" not in raw_name:
            return self._key, ("GET", "PUT", "PATCH"), unquote(raw_name)
        raise ApiError(404, "E_NOT_FOUND", "no such endpoint")

    def _grant(self, request: Request, write: bool) -> Grant:
        grant = self.tokens.authenticate(request.authorization)
        if write and grant.readonly:
            raise ApiError(403, "E_FORBIDDEN", "this token may only read API keys")
        return grant

    def _auth(self, request: Request, _name: str) -> Reply:
        auth = check_auth_body(parse_json_object(request.body))
        if auth.refresh_token is not None:
            return json_reply(200, self.tokens.refresh(auth.refresh_token))
        assert auth.api_key is not None and auth.api_secret is not None  # check_auth_body guarantees the pair
        for credential in self.credentials:
            if credential.matches(auth.api_key, auth.api_secret):
                return json_reply(200, self.tokens.issue(credential.api_key, credential.readonly))
        raise unauthorized("E_INVALID_CREDENTIALS", "api_key or api_secret is wrong")

    def _list(self, request: Request, _name: str) -> Reply:
        self._grant(request, write=False)
        data, count = self.keys.list(check_list_query(request.query))
        return json_reply(200, {"data": data, "count": count, "_type": "API_KEY_LIST"})

    def _key(self, request: Request, name: str) -> Reply:
        self._grant(request, write=request.method != "GET")
        check_key_name(name)
        if request.method == "GET":
            return json_reply(200, self.keys.get(name))
        body = parse_json_object(request.body)
        if request.method == "PUT":
            kind, status, metadata = check_create_body(body)
            return json_reply(200, self.keys.create(name, kind, status, metadata))
        return json_reply(200, self.keys.update_status(name, check_update_body(body)))
