# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The route tables of the API: everything this collection knows of its wire format, one class per API version
(internal to this collection, not a public API).

HTTP methods, paths, request bodies, paging parameters, and the fields and statuses of the answers. Where the two
versions differ in meaning (how a key is addressed, what can change, whether a key can be deleted), the difference is
a property of the table that the plans ask, not an ``if`` in the modules:

- ``ManagementApiDraft``: the reference page "fiskaly Management API (v0.1.0-draft)", with the wire that the guide
  "API versions" (docs/docsite/rst/guide_api_versions.rst) fixes for it (keys addressed by name, created with ``PUT``);
- ``ManagementApi012``: "fiskaly management API (0.12.0)", what fiskaly publishes today at the same base URL (keys
  under an organisation, addressed by a server-assigned ``_id``, created with ``POST``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import quote


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
    # Whether sending it twice does no more than sending it once. A request that is not is never repeated after an
    # attempt that may have reached the API (see retry.build_retry).
    idempotent: bool = True
    lists: bool = False  # a page of a listing


DRAFT = "0.1.0-draft"
V012 = "0.12"
AUTO = "auto"
API_VERSIONS = (AUTO, DRAFT, V012)


class ManagementApi:
    """What both versions share: the login, the token, the error body and the pages' envelope."""

    VERSION: ClassVar[str] = ""
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
    # 0.12's login answer names the organisation and the environment of the token; the draft's has no such field.
    TOKEN_CLAIMS = "access_token_claims"
    CLAIMED_ORGANIZATION = "organization_id"
    CLAIMED_ENVIRONMENT = "env"
    KEY_NAME = "name"
    KEY_SECRET = "secret"
    PAGE_KEYS = "data"
    PAGE_COUNT = "count"
    ERROR_CODE = "code"
    ERROR_MESSAGE = "message"

    # What the plans ask of a version (see the subclasses).
    KEY_IDENTITY: ClassVar[str] = "name"  # the field that tells two keys apart
    NAMES_ARE_UNIQUE: ClassVar[bool] = True
    CAN_DELETE: ClassVar[bool] = False
    CAN_CHANGE_METADATA: ClassVar[bool] = False
    TAKES_KIND: ClassVar[bool] = True  # whether a create sends the key's kind
    SHOWN_FIELDS: ClassVar[tuple[str, ...]] = ("name", "kind", "status", "metadata")  # what a diff shows of a key
    ORDER_FIELDS: ClassVar[tuple[str, ...]] = ("name", "kind", "status")
    FILTERS_BY_KIND: ClassVar[bool] = True
    STATUS_FILTER_REPEATS: ClassVar[bool] = True  # several status values in one listing
    # Where a new key's answer names the api_key it logs in with (0.12's ``key``); None: its name does (the draft).
    KEY_CREDENTIAL: ClassVar[str | None] = None
    # Whether the listing's path can only be missing on a server that speaks another version.
    LISTING_NEVER_404: ClassVar[bool] = False

    organization_id: str | None = None

    @staticmethod
    def login(api_key: str | None, api_secret: str | None) -> Request:
        return Request(
            "POST", "/auth", body={"api_key": api_key, "api_secret": api_secret}, auth=False, answer_holds_secret=True
        )

    @staticmethod
    def refresh(refresh_token: str) -> Request:
        return Request("POST", "/auth", body={"refresh_token": refresh_token}, auth=False, answer_holds_secret=True)

    def address(self, key: dict) -> str:
        """What addresses an existing key in a path."""
        return str(key[self.KEY_IDENTITY])

    # The requests on keys, one route each (the subclasses).

    def read_key(self, address: str) -> Request:
        raise NotImplementedError

    def create_key(self, name: str, kind: str | None, status: str, metadata: dict | None) -> Request:
        raise NotImplementedError

    def update_key(self, address: str, status: str | None, metadata: dict | None) -> Request:
        raise NotImplementedError

    def delete_key(self, address: str) -> Request:
        raise NotImplementedError

    def list_keys(self, filters: dict, *, limit: int, offset: int) -> Request:
        raise NotImplementedError


class ManagementApiDraft(ManagementApi):
    """fiskaly Management API v0.1.0-draft: keys by name, created with an idempotent ``PUT`` that answers 409 when the
    name is taken."""

    VERSION = DRAFT
    LISTING_NEVER_404 = True

    def read_key(self, address: str) -> Request:
        return Request("GET", f"/api_keys/{quote(address, safe='')}")

    def create_key(self, name: str, kind: str | None, status: str, metadata: dict | None) -> Request:
        body: dict = {"kind": kind, "status": status}
        if metadata is not None:
            body["metadata"] = metadata
        return Request("PUT", f"/api_keys/{quote(name, safe='')}", body=body, answer_holds_secret=True, creates=True)

    def update_key(self, address: str, status: str | None, metadata: dict | None) -> Request:
        # The draft changes the status only (CAN_CHANGE_METADATA): the plans never ask it to change metadata.
        return Request("PATCH", f"/api_keys/{quote(address, safe='')}", body={"status": status})

    def delete_key(self, address: str) -> Request:
        raise NotImplementedError("API v0.1.0-draft cannot delete a key")  # CAN_DELETE: the plans never ask

    def list_keys(self, filters: dict, *, limit: int, offset: int) -> Request:
        """One page; ``kind`` and ``status`` are lists, sent as repeated parameters."""
        return Request("GET", "/api_keys", params={**filters, "limit": limit, "offset": offset}, lists=True)


class ManagementApi012(ManagementApi):
    """fiskaly management API 0.12: keys under an organisation, addressed by ``_id``, created with ``POST``.

    A ``POST`` that is repeated makes a second key (no source shows an idempotency key, nor that names are unique), so
    a create is never repeated after an attempt that may have reached the API. ``kind`` is never sent: no client of
    0.12 sends it, and a key's environment (``_envs``) belongs to its organisation.
    """

    VERSION = V012
    KEY_IDENTITY = "_id"
    NAMES_ARE_UNIQUE = False
    CAN_DELETE = True
    CAN_CHANGE_METADATA = True
    TAKES_KIND = False
    KEY_ENVIRONMENTS = "_envs"
    KEY_CREDENTIAL = "key"  # the new key's api_key, which logs in with its secret
    SHOWN_FIELDS = ("name", "status", "metadata", "_envs")
    ORDER_FIELDS = ("name", "status", "created_at")
    FILTERS_BY_KIND = False
    STATUS_FILTER_REPEATS = False  # one value at most: no source sends more

    def __init__(self, organization_id: str) -> None:
        self.organization_id = organization_id
        self._keys = f"/organizations/{quote(organization_id, safe='')}/api-keys"

    def read_key(self, address: str) -> Request:
        return Request("GET", f"{self._keys}/{quote(address, safe='')}")

    def create_key(self, name: str, kind: str | None, status: str, metadata: dict | None) -> Request:
        body: dict = {"name": name, "status": status}
        if metadata is not None:
            body["metadata"] = metadata
        return Request("POST", self._keys, body=body, answer_holds_secret=True, idempotent=False)

    def update_key(self, address: str, status: str | None, metadata: dict | None) -> Request:
        # The whole wanted metadata object: the result is the same whether the API merges or replaces.
        body = {name: value for name, value in (("status", status), ("metadata", metadata)) if value is not None}
        return Request("PATCH", f"{self._keys}/{quote(address, safe='')}", body=body)

    def delete_key(self, address: str) -> Request:
        return Request("DELETE", f"{self._keys}/{quote(address, safe='')}")

    def list_keys(self, filters: dict, *, limit: int, offset: int) -> Request:
        """One page; ``status`` is one value at most (the caller reduced it)."""
        return Request("GET", self._keys, params={**filters, "limit": limit, "offset": offset}, lists=True)


# The route table of each version that a user may name.
ROUTE_TABLES: dict[str, type[ManagementApi]] = {DRAFT: ManagementApiDraft, V012: ManagementApi012}
