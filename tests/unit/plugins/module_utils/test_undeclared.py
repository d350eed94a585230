# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keys a fleet does not declare: only those in scope, never a declared one nor the login key, never more than the
limit; and the options' rules before any request. Pure decisions over a listing already read, no I/O."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.plans import (
    UNDECLARED,
    DesiredKey,
    plan_keys,
)
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.undeclared import (
    DEFAULT_LIMIT,
    UndeclaredPolicy,
    plan_undeclared,
    policy_errors,
)
from ansible_collections.fiskaly.management.plugins.module_utils._errors import InvalidInput
from ansible_collections.fiskaly.management.plugins.module_utils._http.routes import (
    DRAFT,
    V012,
    ManagementApi012,
    ManagementApiDraft,
)

DRAFT_API = ManagementApiDraft()
API_012 = ManagementApi012("org-1")


def draft_key(name: str, status: str = "enabled") -> dict:
    return {"name": name, "kind": "live", "status": status, "metadata": {}}


def key_012(name: str, key_id: str, status: str = "enabled", credential: str | None = None) -> dict:
    return {
        "name": name,
        "_id": key_id,
        "status": status,
        "metadata": {},
        "_envs": ["LIVE"],
        "key": credential or f"cred-{key_id}",
    }


def undeclared(api, every_key, declared=(), **policy):
    """As reconcile_fleet does: the declared keys planned from the listing, then the keys in scope they leave out."""
    plans = plan_keys(SimpleNamespace(api=api), list(declared), every_key)
    policy.setdefault("action", "disable")
    policy.setdefault("prefix", "store-a-")
    return plan_undeclared(api, every_key, plans, UndeclaredPolicy(**policy))


def test_only_the_keys_in_the_prefix_scope_are_planned():
    every_key = [draft_key("store-a-1"), draft_key("store-b-1"), draft_key("store-a-2"), draft_key("other")]
    plans, warnings = undeclared(DRAFT_API, every_key)
    assert [plan.name for plan in plans] == ["store-a-1", "store-a-2"]
    assert {plan.action for plan in plans} == {"disable"} and warnings == []
    assert all(plan.desired.declared_as == UNDECLARED for plan in plans)


def test_leave_plans_nothing_and_reads_nothing():
    plans, warnings = plan_undeclared(DRAFT_API, [draft_key("store-a-1")], [], UndeclaredPolicy())
    assert (plans, warnings) == ([], [])


def test_a_key_declared_by_name_is_never_undeclared():
    every_key = [draft_key("store-a-1"), draft_key("store-a-2")]
    plans, _warnings = undeclared(DRAFT_API, every_key, [DesiredKey("store-a-1", declared_as="api_keys[0]")])
    assert [plan.name for plan in plans] == ["store-a-2"]


def test_on_012_a_key_declared_by_name_or_by_id_is_never_undeclared():
    # Two keys share a name on 0.12: the one declared by _id is taken, its namesake is not.
    every_key = [key_012("store-a-1", "id-1"), key_012("store-a-2", "id-2"), key_012("store-a-2", "id-3")]
    declared = [
        DesiredKey("store-a-1", declared_as="api_keys[0]"),
        DesiredKey(None, declared_as="api_keys[1]", key_id="id-2"),
    ]
    plans, _warnings = undeclared(API_012, every_key, declared)
    assert [(plan.name, plan.current["_id"]) for plan in plans] == [("store-a-2", "id-3")]
    assert plans[0].desired.key_id == "id-3"  # addressed by its _id, not by the name it shares


def test_the_login_key_is_kept_with_a_warning_on_the_draft_by_its_name():
    every_key = [draft_key("store-a-admin"), draft_key("store-a-1")]
    plans, warnings = undeclared(DRAFT_API, every_key, login_key="store-a-admin")
    assert [plan.name for plan in plans] == ["store-a-1"]
    assert warnings == ["API key 'store-a-admin' is not declared, but the run logs in with it: it was not disabled"]


def test_the_login_key_is_kept_with_a_warning_on_012_by_its_key_field():
    # On 0.12 the name says nothing about the credential: the key field does.
    every_key = [key_012("store-a-admin", "id-1", credential="login-key"), key_012("login-key", "id-2")]
    plans, warnings = undeclared(API_012, every_key, action="delete", prefix="", login_key="login-key")
    assert [(plan.name, plan.action) for plan in plans] == [("login-key", "delete")]
    assert warnings == ["API key 'store-a-admin' is not declared, but the run logs in with it: it was not deleted"]


def test_keys_already_disabled_are_not_planned_under_disable():
    every_key = [draft_key("store-a-1", "disabled"), draft_key("store-a-2")]
    plans, _warnings = undeclared(DRAFT_API, every_key)
    assert [plan.name for plan in plans] == ["store-a-2"]


def test_a_disabled_key_is_still_deleted_under_delete():
    plans, _warnings = undeclared(API_012, [key_012("store-a-1", "id-1", "disabled")], action="delete")
    assert [plan.action for plan in plans] == ["delete"]


def test_exactly_the_limit_passes():
    every_key = [draft_key(f"store-a-{index}") for index in range(3)]
    plans, _warnings = undeclared(DRAFT_API, every_key, limit=3)
    assert len(plans) == 3


def test_one_over_the_limit_fails_naming_the_keys_and_plans_nothing():
    every_key = [draft_key(f"store-a-{index}") for index in range(4)]
    with pytest.raises(InvalidInput) as failed:
        undeclared(DRAFT_API, every_key, limit=3)
    message = str(failed.value)
    assert "undeclared=disable would disable 4 API keys named 'store-a-'..." in message
    assert "store-a-0, store-a-1, store-a-2, store-a-3" in message
    assert "more than undeclared_limit (3) allows; nothing was written" in message


def test_the_default_limit_is_ten():
    assert UndeclaredPolicy().limit == DEFAULT_LIMIT == 10
    every_key = [draft_key(f"store-a-{index:02d}") for index in range(11)]
    with pytest.raises(InvalidInput, match=r"more than undeclared_limit \(10\)"):
        undeclared(DRAFT_API, every_key)


def test_a_limit_of_zero_refuses_any_change_but_not_a_clean_fleet():
    assert undeclared(DRAFT_API, [draft_key("store-a-1", "disabled")], limit=0) == ([], [])
    with pytest.raises(InvalidInput):
        undeclared(DRAFT_API, [draft_key("store-a-1")], limit=0)


def test_delete_on_a_version_that_cannot_delete_is_refused():
    with pytest.raises(InvalidInput, match=r"undeclared=delete is not supported on API 0.1.0-draft"):
        undeclared(DRAFT_API, [draft_key("store-a-1")], action="delete")


def test_policy_errors_leave_needs_nothing():
    assert policy_errors(UndeclaredPolicy(), has_key_pair=False, api_version=DRAFT) == []
    assert policy_errors(UndeclaredPolicy(limit=-1), has_key_pair=False, api_version=DRAFT) == []


@pytest.mark.parametrize("prefix", [None, ""])
def test_policy_errors_a_prefix_is_required(prefix):
    errors = policy_errors(UndeclaredPolicy("disable", prefix), has_key_pair=True, api_version="auto")
    assert errors == [
        "undeclared_prefix is required when undeclared is disable or delete: it bounds the keys the declaration is "
        "the whole truth of, so that a declaration of one store's keys cannot touch another's"
    ]


def test_policy_errors_a_key_pair_is_required():
    (error,) = policy_errors(UndeclaredPolicy("delete", "store-a-"), has_key_pair=False, api_version=V012)
    assert error.startswith("undeclared=disable or delete needs api_key and api_secret")


def test_policy_errors_delete_is_refused_on_the_draft_only():
    policy = UndeclaredPolicy("delete", "store-a-")
    assert policy_errors(policy, has_key_pair=True, api_version=DRAFT) == [
        "undeclared=delete is not supported on API 0.1.0-draft: the draft has no way to delete a key; use "
        "state=disabled"
    ]
    assert policy_errors(policy, has_key_pair=True, api_version=V012) == []
    assert policy_errors(policy, has_key_pair=True, api_version="auto") == []  # decided once the API answered
    assert policy_errors(UndeclaredPolicy("disable", "store-a-"), has_key_pair=True, api_version=DRAFT) == []


def test_policy_errors_a_negative_limit_is_refused():
    errors = policy_errors(UndeclaredPolicy("disable", "store-a-", limit=-1), has_key_pair=True, api_version=DRAFT)
    assert errors == ["undeclared_limit must be 0 or more, got -1"]
