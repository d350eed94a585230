# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Routing and operations of the management API 0.12 dialect under /api/v0: API keys live under an organisation
and are addressed by their _id."""

from __future__ import annotations

from typing import Callable

from .api import Credential, Request
from .errors import ApiError, unauthorized
from .reply import Reply, json_reply
from .store_012 import KeyStore012
from .tokens import Grant, TokenService
from .validation import check_auth_body, parse_json_object
from .validation_012 import check_create_body, check_list_query, check_update_body

_Operation = Callable[[Request, str, str], Reply]


def no_such_endpoint() -> ApiError:
    """The 404 of a path that no route takes (the draft's routes among them)."""
    return ApiError(404, "E_NOT_FOUND", "no such endpoint")


class ManagementApi012:  # pylint: disable=too-few-public-methods
    """Answers requests of the 0.12 dialect whose path is relative to /api/v0."""

    def __init__(self, keys: KeyStore012, tokens: TokenService, credentials: tuple[Credential, ...]) -> None:
        self.keys = keys
        self.tokens = tokens
        # The built-in credentials, of the own organisation.
        self.credentials = credentials

    def handle(self, request: Request) -> Reply:
        """Route a request and run its operation; errors become error replies via ApiError."""
        operation, allowed, organization_id, key_id = self._route(request.path)
        if request.method not in allowed:
            raise ApiError(
                405,
                "E_METHOD_NOT_ALLOWED",
                f"method {request.method} is not allowed here; allowed: {', '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        return operation(request, organization_id, key_id)

    def _route(self, path: str) -> tuple[_Operation, tuple[str, ...], str, str]:
        if path == "/auth":
            return self._auth, ("POST",), "", ""
        parts = path.split("/")
        # ["", "organizations", org, "api-keys"(, id)]
        if len(parts) in (4, 5) and parts[0] == "" and parts[1] == "organizations" and parts[3] == "api-keys":
            if parts[2] and len(parts) == 4:
                return self._collection, ("GET", "POST"), parts[2], ""
            if parts[2] and parts[4]:
                return self._key, ("GET", "PATCH", "DELETE"), parts[2], parts[4]
        raise no_such_endpoint()

    def _auth(self, request: Request, _organization_id: str, _key_id: str) -> Reply:
        auth = check_auth_body(parse_json_object(request.body))
        if auth.refresh_token is not None:
            return json_reply(200, self.tokens.refresh(auth.refresh_token))
        assert auth.api_key is not None and auth.api_secret is not None  # check_auth_body guarantees the pair
        for credential in self.credentials:
            if credential.matches(auth.api_key, auth.api_secret):
                own = self.keys.organizations.own
                return json_reply(200, self.tokens.issue(credential.api_key, credential.readonly, own))
        organization_id = self.keys.login(auth.api_key, auth.api_secret)
        if organization_id is not None:
            return json_reply(200, self.tokens.issue(auth.api_key, False, organization_id))
        raise unauthorized("E_INVALID_CREDENTIALS", "api_key or api_secret is wrong")

    def _grant(self, request: Request, organization_id: str) -> Grant:
        """Authenticate, then check the organisation (404 unknown, 403 not this token's), then the rights."""
        grant = self.tokens.authenticate(request.authorization)
        organizations = self.keys.organizations
        if not organizations.known(organization_id):
            raise ApiError(404, "E_NOT_FOUND", "organization not found")
        if grant.organization_id is None or not organizations.may_use(grant.organization_id, organization_id):
            raise ApiError(403, "E_FORBIDDEN", "this token may not use the API keys of this organization")
        if request.method != "GET" and grant.readonly:
            raise ApiError(403, "E_FORBIDDEN", "this token may only read API keys")
        return grant

    def _collection(self, request: Request, organization_id: str, _key_id: str) -> Reply:
        self._grant(request, organization_id)
        if request.method == "GET":
            data, count = self.keys.list(organization_id, check_list_query(request.query))
            return json_reply(200, {"data": data, "count": count, "_type": "API_KEY_LIST"})
        record = check_create_body(parse_json_object(request.body))
        return json_reply(201, self.keys.create(organization_id, record))

    def _key(self, request: Request, organization_id: str, key_id: str) -> Reply:
        self._grant(request, organization_id)
        if request.method == "GET":
            return json_reply(200, self.keys.get(organization_id, key_id))
        if request.method == "DELETE":
            self.keys.delete(organization_id, key_id)
            return json_reply(200, {"_success": True})
        status, metadata = check_update_body(parse_json_object(request.body))
        return json_reply(200, self.keys.update(organization_id, key_id, status, metadata))
