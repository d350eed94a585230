# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the client speaks API 0.12 otherwise than the draft: which version a run speaks, the retry policy of a create
that must not be sent twice, the listing's query, the plans by ``_id`` and the local rules of each version."""

from __future__ import annotations

import re

import pytest
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.plans import DesiredKey, Plan
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.rules import (
    desired_key_errors,
    listing_errors,
)
from ansible_collections.fiskaly.management.plugins.module_utils._errors import InvalidInput
from ansible_collections.fiskaly.management.plugins.module_utils._http import sending as sending_module
from ansible_collections.fiskaly.management.plugins.module_utils._http.retry import build_retry
from ansible_collections.fiskaly.management.plugins.module_utils._http.routes import (
    DRAFT,
    V012,
    ManagementApi012,
    ManagementApiDraft,
)

from .test_client import TOKEN, Transport, answer, make_client

ORG = "5f0c1d2e-0000-4000-8000-000000000001"
CLAIMED = "5f0c1d2e-0000-4000-8000-0000000000c1"
TOKEN_012 = {**TOKEN, "access_token_claims": {"env": "TEST", "organization_id": CLAIMED}}
KEY_012 = {"_id": "id-1", "name": "pos-1", "status": "enabled", "metadata": {}, "_envs": ["TEST"]}

# -- which version a run speaks ----------------------------------------------------------------------------------------


def decide(client):
    """The route table the client decides on (which may log in, or fail)."""
    return client.api


def test_auto_and_a_login_answer_with_claims_speak_012_in_the_claimed_organisation():
    transport = Transport(answer(200, TOKEN_012), answer(200, KEY_012))
    client = make_client(transport)
    assert client.get_api_key("id-1") == KEY_012
    assert isinstance(client.api, ManagementApi012) and client.api.organization_id == CLAIMED
    assert client.environment == "TEST"
    assert transport.paths() == ["POST /auth", f"GET /organizations/{CLAIMED}/api-keys/id-1"]


def test_auto_and_a_login_answer_without_claims_speak_the_draft():
    transport = Transport(answer(200, TOKEN), answer(200, {"name": "pos-1"}))
    client = make_client(transport)
    client.get_api_key("pos-1")
    assert isinstance(client.api, ManagementApiDraft) and client.environment is None
    assert transport.paths() == ["POST /auth", "GET /api_keys/pos-1"]


def test_a_given_organisation_wins_over_the_claimed_one():
    transport = Transport(answer(200, TOKEN_012))
    client = make_client(transport, organization_id=ORG)
    assert client.api.organization_id == ORG


def test_an_organisation_given_to_a_server_that_speaks_the_draft_fails():
    # auto: the login answer has no claims, so the server speaks the draft, which has no organisations.
    client = make_client(Transport(answer(200, TOKEN)), organization_id=ORG)
    with pytest.raises(InvalidInput, match=r"API speaks v0\.1\.0-draft.*the login answer names no organisation"):
        decide(client)


def test_an_organisation_with_api_version_draft_fails_before_any_request():
    transport = Transport()
    client = make_client(transport, api_version=DRAFT, organization_id=ORG)
    with pytest.raises(InvalidInput, match=r"api_version is 0\.1\.0-draft"):
        decide(client)
    assert transport.calls == []


def test_api_version_draft_decides_without_a_login():
    transport = Transport()
    assert isinstance(make_client(transport, api_version=DRAFT).api, ManagementApiDraft)
    assert transport.calls == []


def test_api_version_012_with_an_organisation_decides_without_a_login():
    transport = Transport()
    api = make_client(transport, api_version=V012, organization_id=ORG).api
    assert isinstance(api, ManagementApi012) and api.organization_id == ORG and transport.calls == []


def test_api_version_012_without_an_organisation_takes_the_claimed_one():
    client = make_client(Transport(answer(200, TOKEN_012)), api_version=V012)
    assert client.api.organization_id == CLAIMED


def test_api_version_012_without_any_organisation_fails():
    client = make_client(Transport(answer(200, TOKEN)), api_version=V012)
    with pytest.raises(InvalidInput, match=r"organization_id is needed on API 0\.12"):
        decide(client)


@pytest.mark.parametrize(
    ("organization_id", "expected"), [(None, ManagementApiDraft), (ORG, ManagementApi012)], ids=["draft", "012"]
)
def test_an_access_token_alone_speaks_012_only_with_an_organisation(organization_id, expected):
    transport = Transport()
    client = make_client(
        transport, api_key=None, api_secret=None, access_token="given", organization_id=organization_id
    )
    assert isinstance(client.api, expected) and transport.calls == []


def test_an_access_token_alone_on_012_without_an_organisation_fails():
    client = make_client(Transport(), api_key=None, api_secret=None, access_token="given", api_version=V012)
    with pytest.raises(InvalidInput, match="organization_id is needed"):
        decide(client)


def test_decided_by_answers_for_a_token_logged_in_elsewhere():
    # fiskaly_token: it logs in (or refreshes) itself, then asks which version the answer says.
    client = make_client(Transport(answer(200, TOKEN_012)))
    client.authenticate()
    api = client.decided_by(client.claims)
    assert (api.VERSION, api.organization_id) == (V012, CLAIMED)
    draft = make_client(Transport(answer(200, TOKEN)))
    draft.authenticate()
    assert draft.decided_by(draft.claims).VERSION == DRAFT
    no_login = make_client(Transport(), api_key=None, api_secret=None, access_token="given", organization_id=ORG)
    assert no_login.decided_by(None, logged_in=False).organization_id == ORG  # an access token alone


# -- the retry policy of a request that must not be sent twice ---------------------------------------------------------


def test_a_post_that_may_have_been_carried_out_is_not_repeated():
    policy = build_retry(5, 60, idempotent=False)
    for status in (500, 502, 504):
        assert not policy.is_retry("POST", status, has_retry_after=False)
    for status in (429, 503):
        assert policy.is_retry("POST", status, has_retry_after=False)
    read_timeout = ReadTimeoutError(None, "/x", "Read timed out.")  # type: ignore[arg-type]
    with pytest.raises(MaxRetryError):
        policy.increment("POST", "/x", error=read_timeout)
    with pytest.raises(MaxRetryError):
        policy.increment("POST", "/x", error=ProtocolError("Connection aborted."))
    refused = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    assert policy.increment("POST", "/x", error=refused).connect == 4  # never connected: asked again


def test_an_idempotent_request_still_retries_a_lost_answer_and_a_500():
    policy = build_retry(5, 60)
    assert policy.is_retry("PATCH", 500, has_retry_after=False)
    read_timeout = ReadTimeoutError(None, "/x", "Read timed out.")  # type: ignore[arg-type]
    assert policy.increment("PATCH", "/x", error=read_timeout).read == 4


def test_the_012_create_is_sent_with_the_non_idempotent_policy(monkeypatch):
    policies = []
    real = sending_module.build_retry
    monkeypatch.setattr(
        sending_module,
        "build_retry",
        lambda *args, **kwargs: policies.append(kwargs.get("idempotent")) or real(*args, **kwargs),
    )
    created = {**KEY_012, "secret": "s", "key": "test_a_b"}
    transport = Transport(answer(200, TOKEN_012), answer(201, created), answer(200, KEY_012))
    client = make_client(transport)
    assert client.create_api_key("pos-1", None, "enabled", None)["secret"] == "s"
    client.update_api_key(KEY_012, "disabled", {"a": "b"})
    assert policies == [True, False, True]
    assert transport.calls[1].json == {"name": "pos-1", "status": "enabled"}
    assert transport.calls[2].method == "PATCH" and transport.calls[2].json == {
        "status": "disabled",
        "metadata": {"a": "b"},
    }


def test_a_500_to_the_012_create_is_reported_as_possibly_carried_out():
    transport = Transport(answer(200, TOKEN_012), answer(500, {"code": "E_INTERNAL", "message": "boom"}))
    client = make_client(transport)
    with pytest.raises(Exception) as raised:
        client.create_api_key("pos-1", None, "enabled", None)
    assert getattr(raised.value, "may_have_reached_api", None) is True
    assert transport.paths().count(f"POST /organizations/{CLAIMED}/api-keys") == 1


def test_find_api_keys_lists_on_012_and_gets_on_the_draft():
    page = {"data": [KEY_012, {**KEY_012, "_id": "id-2"}, {**KEY_012, "_id": "id-3", "name": "other"}], "count": 3}
    transport = Transport(answer(200, TOKEN_012), answer(200, page))
    assert [key["_id"] for key in make_client(transport).find_api_keys("pos-1")] == ["id-1", "id-2"]
    assert transport.paths()[1] == f"GET /organizations/{CLAIMED}/api-keys"
    draft = Transport(answer(200, TOKEN), answer(404, {"code": "E_NOT_FOUND", "message": "no"}))
    assert make_client(draft).find_api_keys("pos-1") == []
    assert draft.paths()[1] == "GET /api_keys/pos-1"


def test_delete_on_012_addresses_the_key_by_id():
    transport = Transport(answer(200, TOKEN_012), answer(200, {"_success": True}))
    make_client(transport).delete_api_key(KEY_012)
    assert transport.paths()[1] == f"DELETE /organizations/{CLAIMED}/api-keys/id-1"


# -- the listing's query -----------------------------------------------------------------------------------------------


def client_on(version: str):
    return make_client(Transport(), api_version=version, organization_id=ORG if version == V012 else None)


def test_012_refuses_a_kind_filter():
    with pytest.raises(InvalidInput, match=r"kind is not supported on API 0\.12"):
        client_on(V012).listing_filters(["test"], None, None, None)


@pytest.mark.parametrize(("version", "order_by"), [(V012, "kind"), (DRAFT, "created_at")])
def test_each_version_refuses_the_order_it_has_not(version, order_by):
    with pytest.raises(InvalidInput, match=re.escape(f"order_by={order_by} is not supported on API {version}")):
        client_on(version).listing_filters(None, None, order_by, None)


def test_012_sends_one_status_value_and_both_as_none():
    client = client_on(V012)
    assert client.listing_filters(None, ["disabled"], "created_at", "desc") == {
        "status": "disabled",
        "order_by": "created_at",
        "order": "desc",
    }
    assert client.listing_filters(None, ["enabled", "disabled"], None, None) == {}
    assert client_on(DRAFT).listing_filters(["test"], ["enabled", "disabled"], None, None) == {
        "kind": ["test"],
        "status": ["enabled", "disabled"],
    }


# -- the plans on 0.12 -------------------------------------------------------------------------------------------------

API = ManagementApi012(ORG)
EXISTING = {**KEY_012, "metadata": {"store": "b"}}


def test_several_keys_of_a_name_are_an_error_naming_each_id():
    plan = Plan(DesiredKey("pos-1"), [EXISTING, {**EXISTING, "_id": "id-2"}], API)
    (error,) = plan.errors()
    assert "matches 2 keys of that name (_id id-1, id-2)" in error and "address one with id" in error
    assert plan.current is None


def test_an_id_addresses_one_key_whatever_its_name():
    plan = Plan(DesiredKey(None, "disabled", key_id="id-1"), [EXISTING], API)
    assert plan.errors() == [] and plan.action == "disable" and plan.name == "pos-1"
    renamed = Plan(DesiredKey("pos-2", key_id="id-1"), [EXISTING], API)
    assert "is named 'pos-1'; a key's name cannot be changed" in renamed.errors()[0]
    missing = Plan(DesiredKey(None, key_id="id-9"), [], API)
    assert "no key has id id-9" in missing.errors()[0]


def test_absent_deletes_an_existing_key_and_leaves_a_missing_one():
    plan = Plan(DesiredKey("pos-1", "absent"), [EXISTING], API)
    assert (plan.action, plan.errors(), plan.predicted()) == ("delete", [], {})
    assert plan.diff()["after"] == {} and plan.diff()["before"]["name"] == "pos-1"
    gone = Plan(DesiredKey("pos-1", "absent"), [], API)
    assert (gone.action, gone.errors()) == ("none", [])


def test_metadata_is_updated_on_012_and_refused_on_the_draft():
    plan = Plan(DesiredKey("pos-1", "present", metadata={"store": "c"}), [EXISTING], API)
    assert plan.action == "update" and plan.errors() == []
    assert plan.predicted()["metadata"] == {"store": "c"} and "secret" not in plan.predicted()
    diff = plan.diff()
    assert diff["before"] == {"name": "pos-1", "status": "enabled", "metadata": {"store": "b"}, "_envs": ["TEST"]}
    assert diff["after"]["metadata"] == {"store": "c"} and diff["before_header"] == "API key pos-1 (_id id-1)"
    same = Plan(DesiredKey("pos-1", metadata={"store": "b"}), [EXISTING], API)
    assert same.action == "none"
    draft = Plan(DesiredKey("pos-1", metadata={"store": "c"}), [{**EXISTING, "kind": "test"}], ManagementApiDraft())
    assert draft.action == "none" and "metadata" in draft.errors()[0]


def test_kind_is_checked_against_the_environments_of_an_existing_key():
    assert Plan(DesiredKey("pos-1", kind="test"), [EXISTING], API).errors() == []
    (error,) = Plan(DesiredKey("pos-1", kind="live"), [EXISTING], API).errors()
    assert "exists with _envs ['TEST'], but kind 'live' is wanted" in error


def test_kind_for_a_create_is_refused_and_a_create_without_kind_is_fine():
    (error,) = Plan(DesiredKey("pos-1", kind="test"), [], API).errors()
    assert "kind cannot be honoured when creating it on API 0.12" in error
    plan = Plan(DesiredKey("pos-1", "disabled", metadata={"a": "b"}), [], API)
    assert plan.errors() == [] and plan.action == "create"
    assert plan.predicted() == {"name": "pos-1", "status": "disabled", "metadata": {"a": "b"}}
    assert plan.diff()["after"] == {"name": "pos-1", "status": "disabled", "metadata": {"a": "b"}, "_envs": None}


def test_the_draft_refuses_id_and_absent_in_its_plans():
    draft = ManagementApiDraft()
    assert "id is not supported on API 0.1.0-draft" in Plan(DesiredKey(None, key_id="x"), [], draft).errors()[0]
    assert "state=absent is not supported" in Plan(DesiredKey("pos-1", "absent"), [EXISTING], draft).errors()[0]


# -- the local rules ---------------------------------------------------------------------------------------------------


def test_id_and_absent_are_refused_when_api_version_says_the_draft():
    keys = [
        DesiredKey(None, key_id="id-1", declared_as="api_keys[0]"),
        DesiredKey("pos-2", "absent", declared_as="api_keys[1]"),
    ]
    assert desired_key_errors(keys, DRAFT) == [
        "api_keys[0].id is not supported on API 0.1.0-draft: the draft addresses a key by its name, which is unique "
        "there; use name",
        "api_keys[1].state=absent is not supported on API 0.1.0-draft: the draft has no way to delete a key; use "
        "state=disabled",
    ]
    assert desired_key_errors(keys, V012) == [] and desired_key_errors(keys) == []


def test_an_id_declared_twice_is_an_error_and_a_name_shared_by_ids_is_not():
    keys = [
        DesiredKey("pos-1", key_id="id-1", declared_as="api_keys[0]"),
        DesiredKey("pos-1", key_id="id-2", declared_as="api_keys[1]"),
        DesiredKey(None, key_id="id-1", declared_as="api_keys[2]"),
        DesiredKey("pos-1", declared_as="api_keys[3]"),
    ]
    # Two ids may share a name (0.12 keeps names not unique); a name alone after them may address the same key.
    assert desired_key_errors(keys, V012) == [
        "api_keys[2].id 'id-1' is declared more than once in api_keys",
        "api_keys[3].name 'pos-1' is declared more than once in api_keys",
    ]


def test_listing_rules_per_named_version():
    params = {
        "name": None,
        "limit": None,
        "offset": 0,
        "kind": ["test"],
        "status": None,
        "api_version": V012,
        "id": None,
        "order_by": "kind",
    }
    errors = listing_errors(params)
    assert any("kind is not supported on API 0.12" in error for error in errors)
    assert any("order_by=kind is not supported on API 0.12" in error for error in errors)
    draft = {**params, "kind": None, "api_version": DRAFT, "id": "id-1", "order_by": "created_at"}
    errors = listing_errors(draft)
    assert any("id is not supported on API 0.1.0-draft" in error for error in errors)
    assert any("order_by=created_at is not supported on API 0.1.0-draft" in error for error in errors)
