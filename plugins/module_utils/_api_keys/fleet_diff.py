# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The diff of a fleet as a person reads it: one line per changed key, grouped by action (internal, not a public
API).

A rollout of 1,000 keys shown as a before and an after per key is 10,000 lines; as one line each it is 1,000, under a
heading per action that counts them. ``fleet_diff=full`` keeps the before and after of each key instead.
"""

from __future__ import annotations

import json

from .plans import Plan, shown

ACTION_ORDER = ("create", "update", "enable", "disable", "delete")
MARK = {"create": "+", "update": "~", "enable": "~", "disable": "~", "delete": "-"}


def compact(value: object) -> str:
    """A value on one line, as JSON writes it (no Python reprs, so that it reads the same on every ansible-core)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def what_changes(plan: Plan) -> str:
    """The one line of a key: its name, and each field that changes, from what to what."""
    fields = plan.api.SHOWN_FIELDS
    before, after = shown(plan.current, fields), shown(plan.predicted() or None, fields)
    label = plan.name
    identity = plan.api.KEY_IDENTITY
    if identity != "name" and plan.current is not None:
        label += f" ({identity} {plan.current.get(identity)})"
    if plan.desired.declared_as == "undeclared":
        label += ", undeclared"
    if plan.action == "create":
        details = [f"{field} {compact(after[field])}" for field in fields if field != "name" and after.get(field)]
    elif plan.action == "delete":
        details = [f"{field} was {compact(before[field])}" for field in fields if field == "status"]
    else:
        details = [
            f"{field} {compact(before.get(field))} -> {compact(after.get(field))}"
            for field in fields
            if before.get(field) != after.get(field)
        ]
    return f"  {MARK[plan.action]} {label}" + (f": {', '.join(details)}" if details else "")


def fleet_diff_lines(plans: list[Plan]) -> dict:
    """The diff of the changed plans, as ansible-core shows a prepared diff: the text as it is."""
    groups: dict[str, list[str]] = {action: [] for action in ACTION_ORDER}
    for plan in plans:
        if plan.changed:
            groups[plan.action].append(what_changes(plan))
    text = []
    for action, lines in groups.items():
        if lines:
            text.append(f"{action} ({len(lines)} API key{'s' if len(lines) != 1 else ''}):")
            text.extend(lines)
    return {"prepared": "\n".join(text) + "\n"} if text else {}
