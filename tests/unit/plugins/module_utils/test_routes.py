# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The route tables: each 0.12 route (method, path under the organisation, body), and the draft's unchanged."""

from __future__ import annotations

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._http.routes import (
    ManagementApi012,
    ManagementApiDraft,
    Request,
)

ORG = "5f0c1d2e-0000-4000-8000-000000000001"
KEYS = f"/organizations/{ORG}/api-keys"
KEY_ID = "9a8b7c6d-0000-4000-8000-0000000000aa"


@pytest.fixture
def api() -> ManagementApi012:
    return ManagementApi012(ORG)


def test_012_read_is_a_get_by_id_under_the_organisation(api):
    assert api.read_key(KEY_ID) == Request("GET", f"{KEYS}/{KEY_ID}")
    assert api.address({"_id": KEY_ID, "name": "pos-1"}) == KEY_ID


@pytest.mark.parametrize("kind", [None, "test", "live"])
def test_012_create_is_a_post_never_sent_twice_and_never_carries_kind(api, kind):
    request = api.create_key("pos-1", kind, "disabled", {"store": "b"})
    assert (request.method, request.path) == ("POST", KEYS)
    assert request.body == {"name": "pos-1", "status": "disabled", "metadata": {"store": "b"}}
    assert request.idempotent is False and request.answer_holds_secret is True
    assert request.creates is False  # no 409 recognised as "created before": names are not unique
    assert "kind" not in api.create_key("pos-1", kind, "enabled", None).body


@pytest.mark.parametrize(
    ("status", "metadata", "body"),
    [
        ("disabled", None, {"status": "disabled"}),
        (None, {"a": "b"}, {"metadata": {"a": "b"}}),
        ("enabled", {}, {"status": "enabled", "metadata": {}}),
    ],
)
def test_012_update_is_a_patch_by_id_with_status_and_or_metadata(api, status, metadata, body):
    request = api.update_key(KEY_ID, status, metadata)
    assert (request.method, request.path, request.body) == ("PATCH", f"{KEYS}/{KEY_ID}", body)
    assert request.idempotent is True and "kind" not in request.body and "name" not in request.body


def test_012_delete_is_a_delete_by_id(api):
    assert api.delete_key(KEY_ID) == Request("DELETE", f"{KEYS}/{KEY_ID}")


def test_012_listing_sends_one_status_and_the_page(api):
    request = api.list_keys({"status": "enabled", "order_by": "created_at"}, limit=100, offset=200)
    assert (request.method, request.path, request.lists) == ("GET", KEYS, True)
    assert request.params == {"status": "enabled", "order_by": "created_at", "limit": 100, "offset": 200}


def test_012_ids_and_organisations_are_quoted_in_paths():
    api = ManagementApi012("org/1")
    assert api.read_key("a b/c").path == "/organizations/org%2F1/api-keys/a%20b%2Fc"


def test_012_properties_the_plans_ask():
    assert ManagementApi012.KEY_IDENTITY == "_id" and not ManagementApi012.NAMES_ARE_UNIQUE
    assert ManagementApi012.CAN_DELETE and ManagementApi012.CAN_CHANGE_METADATA and not ManagementApi012.TAKES_KIND
    assert not ManagementApi012.FILTERS_BY_KIND and not ManagementApi012.STATUS_FILTER_REPEATS
    assert ManagementApi012.ORDER_FIELDS == ("name", "status", "created_at")


def test_the_draft_routes_are_unchanged():
    draft = ManagementApiDraft()
    assert draft.organization_id is None and draft.address({"name": "pos 1", "_id": "x"}) == "pos 1"
    assert draft.read_key("pos 1") == Request("GET", "/api_keys/pos%201")
    create = draft.create_key("pos-1", "test", "enabled", {"a": "b"})
    assert (create.method, create.path, create.body) == (
        "PUT",
        "/api_keys/pos-1",
        {"kind": "test", "status": "enabled", "metadata": {"a": "b"}},
    )
    assert create.idempotent is True and create.creates is True and create.answer_holds_secret is True
    assert draft.update_key("pos-1", "disabled", None) == Request(
        "PATCH", "/api_keys/pos-1", body={"status": "disabled"}
    )
    listing = draft.list_keys({"kind": ["test"], "status": ["enabled", "disabled"]}, limit=10, offset=0)
    assert listing.path == "/api_keys" and listing.params["status"] == ["enabled", "disabled"]
    with pytest.raises(NotImplementedError):
        draft.delete_key("pos-1")
    assert draft.KEY_IDENTITY == "name" and draft.NAMES_ARE_UNIQUE and not draft.CAN_DELETE and draft.TAKES_KIND


def test_the_login_is_the_same_in_both_versions():
    for api in (ManagementApiDraft(), ManagementApi012(ORG)):
        login = api.login("k", "s")
        assert (login.method, login.path, login.auth, login.answer_holds_secret) == ("POST", "/auth", False, True)
