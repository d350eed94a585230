# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keys a fleet's declaration does not name: left alone, disabled or deleted (internal, not a public API).

A declaration is the whole truth only within its scope, a name prefix, so that the declaration of one store's keys
cannot touch another's. A limit on how many keys one run may disable or delete guards against a declaration cut
short (a truncated export would otherwise wipe the fleet), and the key the run logs in with is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import _messages as messages
from .._errors import InvalidInput
from .._http.routes import ROUTE_TABLES, ManagementApi
from .plans import UNDECLARED, DesiredKey, Plan

LEAVE, DISABLE, DELETE = "leave", "disable", "delete"
STATE_OF = {DISABLE: "disabled", DELETE: "absent"}
DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class UndeclaredPolicy:
    """What happens to the keys in scope that no item declares."""

    action: str = LEAVE
    prefix: str | None = None
    limit: int = DEFAULT_LIMIT
    login_key: str | None = None  # the api_key the run logs in with, never disabled nor deleted

    @property
    def active(self) -> bool:
        return self.action != LEAVE


def policy_errors(policy: UndeclaredPolicy, *, has_key_pair: bool, api_version: str) -> list[str]:
    """The rules of the options, before any request."""
    if not policy.active:
        return []
    errors = []
    if not policy.prefix:
        errors.append(messages.UNDECLARED_NEEDS_PREFIX)
    if policy.limit < 0:
        errors.append(messages.at_least("undeclared_limit", 0, policy.limit))
    if not has_key_pair:
        errors.append(messages.UNDECLARED_NEEDS_KEY_PAIR)
    table = ROUTE_TABLES.get(api_version)  # None: auto, decided once the API answers (plan_undeclared)
    if policy.action == DELETE and table is not None and not table.CAN_DELETE:
        errors.append(messages.not_in_version("undeclared=delete", api_version, messages.DRAFT_NO_DELETE))
    return errors


def is_login_key(api: ManagementApi, key: dict, login_key: str | None) -> bool:
    """Whether ``key`` is the one the run logs in with: 0.12's ``key`` field is the api_key; the draft's keys have no
    such field, so its name or id standing for the api_key is all that can tell."""
    if login_key is None:
        return False
    if api.KEY_CREDENTIAL is not None:
        return key.get(api.KEY_CREDENTIAL) == login_key
    return login_key in (key.get(ManagementApi.KEY_NAME), key.get("_id"))


def plan_undeclared(
    api: ManagementApi, every_key: list[dict], declared: list[Plan], policy: UndeclaredPolicy
) -> tuple[list[Plan], list[str]]:
    """The plans of the keys in scope that no declared item matches, and the warnings (the login key left alone).

    Only keys that change are planned: one already disabled, under ``disable``, is no concern of the run. Fails,
    before any write, where the version cannot do what is asked, or where more keys would change than the limit
    allows.
    """
    if not policy.active:
        return [], []
    if policy.action == DELETE and not api.CAN_DELETE:
        raise InvalidInput(messages.not_in_version("undeclared=delete", api.VERSION, messages.DRAFT_NO_DELETE))
    identity = api.KEY_IDENTITY
    taken = {key.get(identity) for plan in declared for key in plan.matches}
    prefix, state = policy.prefix or "", STATE_OF[policy.action]
    plans, warnings = [], []
    for key in every_key:
        name = key.get(ManagementApi.KEY_NAME)
        if not isinstance(name, str) or not name.startswith(prefix) or key.get(identity) in taken:
            continue
        if is_login_key(api, key, policy.login_key):
            warnings.append(messages.login_key_kept(name, policy.action))
            continue
        key_id = None if api.NAMES_ARE_UNIQUE else key.get(identity)
        plan = Plan(DesiredKey(name, state, declared_as=UNDECLARED, key_id=key_id), [key], api)
        if plan.changed:
            plans.append(plan)
    if len(plans) > policy.limit:
        names = [plan.name for plan in plans]
        raise InvalidInput(messages.undeclared_over_limit(policy.action, len(plans), policy.limit, prefix, names))
    return plans, warnings
