# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The route table of the API: everything this collection knows of its wire format, one table per API version
(internal to this collection, not a public API).

HTTP methods, paths, request bodies, paging parameters, and the fields and statuses of the answers
(the contract of API v0). Another version of the API would be one more class here, given to the client.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    """One call of the API, as the client sends it."""

    method: str
    path: str
    body: dict | None = None
    params: dict | None = None
    auth: bool = True  # whether it carries the bearer token (every call but the login)
    answer_holds_secret: bool = False  # a token or a key's one-time secret: the body is never quoted back
    creates: bool = False  # a create, which a repeated attempt answers with EXISTS


class ManagementApiV0:
    """fiskaly Management API v0."""

    PAGE_SIZE = 100  # the largest page

    # Statuses with a meaning of their own.
    UNAUTHORIZED = 401  # the bearer token expired or was rejected
    NOT_FOUND = 404
    EXISTS = 409  # to a create: the name is taken

    # Fields of the answers.
    ACCESS_TOKEN = "access_token"
    TOKEN_FIELDS = (
        "access_token",
        "access_token_expires_in",
        "access_token_expires_at",
        "refresh_token",
        "refresh_token_expires_in",
        "refresh_token_expires_at",
    )
    SECRET_TOKEN_FIELDS = ("access_token", "refresh_token")
    KEY_NAME = "name"
    KEY_SECRET = "secret"
    PAGE_KEYS = "data"
    PAGE_COUNT = "count"
    ERROR_CODE = "code"
    ERROR_MESSAGE = "message"

    @staticmethod
    def login(api_key: str | None, api_secret: str | None) -> Request:
        return Request(
            "POST", "/auth", body={"api_key": api_key, "api_secret": api_secret}, auth=False, answer_holds_secret=True
        )

    @staticmethod
    def refresh(refresh_token: str) -> Request:
        return Request("POST", "/auth", body={"refresh_token": refresh_token}, auth=False, answer_holds_secret=True)

    @staticmethod
    def read_key(name: str) -> Request:
        return Request("GET", f"/api_keys/{name}")

    @staticmethod
    def create_key(name: str, kind: str | None, status: str, metadata: dict | None) -> Request:
        body: dict = {"kind": kind, "status": status}
        if metadata is not None:
            body["metadata"] = metadata
        return Request("PUT", f"/api_keys/{name}", body=body, answer_holds_secret=True, creates=True)

    @staticmethod
    def set_key_status(name: str, status: str) -> Request:
        return Request("PATCH", f"/api_keys/{name}", body={"status": status})

    @staticmethod
    def list_keys(
        *,
        kind: list[str] | None = None,
        status: list[str] | None = None,
        order_by: str | None = None,
        order: str | None = None,
        limit: int,
        offset: int,
    ) -> Request:
        """One page; ``kind`` and ``status`` are lists, sent as repeated parameters."""
        filters = {
            name: value
            for name, value in (("kind", kind), ("status", status), ("order_by", order_by), ("order", order))
            if value
        }
        return Request("GET", "/api_keys", params={**filters, "limit": limit, "offset": offset})


# The version this collection speaks.
API = ManagementApiV0
