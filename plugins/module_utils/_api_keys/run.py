# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The two shapes of a fiskaly_api_key run, one key or a fleet: plan, reconcile, hand the secrets over, and say what
was done (internal, not a public API).

A fleet that fails keeps what was done, and above all the secrets of the keys already created; the failure that ends
the run is worded once, here, from the first failure and what the run knows around it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import _messages as messages
from .._errors import FiskalyError, InvalidInput
from .._signals import Interrupted, finishing
from .fleet_diff import fleet_diff_lines
from .plans import UNDECLARED, DesiredKey, Plan, plan_keys
from .reconcile import FleetProgress, Reconciler, SecretLost
from .secret_files import Reservation, path_errors, reserve
from .undeclared import UndeclaredPolicy, plan_undeclared

if TYPE_CHECKING:
    from .._http.client import FiskalyClient

SUMMARY_FIELDS = ("created", "updated", "enabled", "disabled", "deleted", "unchanged", "failed", "not_attempted")
COUNTED_AS = {
    "create": "created",
    "update": "updated",
    "enable": "enabled",
    "disable": "disabled",
    "delete": "deleted",
}


def reconcile_one(
    client: FiskalyClient, key: DesiredKey, *, check_mode: bool, diff: bool, secret_file: str | None = None
) -> dict:
    """Reconcile one key: the result has ``api_key`` and, once, its ``secret``."""
    refuse_bad_paths("secret_file", secret_file)
    plan = plan_keys(client, [key])[0]
    reservation = None
    try:
        if secret_file is not None and plan.action == "create":
            reservation = reserve("secret_file", secret_file, check_mode=check_mode)
        outcome = Reconciler(client, check_mode).reconcile(plan)
        with finishing():
            result = {"changed": outcome.plan.changed, "api_key": outcome.api_key}
            if outcome.secret is not None and reservation is not None:
                content = file_content(outcome.plan, outcome.api_key, outcome.secret)
                _hand_over(reservation, content, result, {"secret": outcome.secret})
                reservation = None
            elif outcome.secret is not None:
                result["secret"] = outcome.secret
    except Interrupted as error:
        raise interrupted_failure(error, plan, check_mode) from None
    finally:
        if reservation is not None:
            reservation.release()  # no secret came: the empty file goes
    if diff:
        result["diff"] = outcome.plan.diff()
    _fail_on_last_resort(result, "secret_file_error")
    return result


@dataclass(frozen=True)
class FleetOptions:
    """What a fleet's run does beyond its keys: where the secrets go, what happens to the keys it does not declare,
    and how much its result and its diff show."""

    secrets_file: str | None = None
    undeclared: UndeclaredPolicy = field(default_factory=UndeclaredPolicy)
    every_entry: bool = False  # fleet_result=all: an entry for every key, not only those that changed or failed
    full_diff: bool = False  # fleet_diff=full: the before and after of each key, not one line each


def reconcile_fleet(
    client: FiskalyClient, keys: list[DesiredKey], *, check_mode: bool, diff: bool, options: FleetOptions | None = None
) -> dict:
    """Reconcile many keys in one run: one login, one listing, one write per change, several at a time."""
    options = options or FleetOptions()
    secrets_file = options.secrets_file
    refuse_bad_paths("secrets_file", secrets_file)
    warnings: list[str] = []
    if not options.undeclared.active:
        plans = plan_keys(client, keys)
    else:
        # One listing of every key serves both: the declared keys' look-up and the undeclared keys in scope.
        every_key = [key for page, _count in client.list_api_key_pages() for key in page]
        plans = plan_keys(client, keys, every_key)
        undeclared, warnings = plan_undeclared(client.api, every_key, plans, options.undeclared)
        plans += undeclared
    creates = any(plan.action == "create" for plan in plans)
    reservation = None
    reconciler = Reconciler(client, check_mode)
    try:
        if secrets_file is not None and creates:
            reservation = reserve("secrets_file", secrets_file, check_mode=check_mode)
        reconciler.reconcile_all(plans)
    except (Exception, Interrupted) as error:  # pylint: disable=broad-exception-caught
        # Keep what was done, and above all the secrets of keys already created, whatever stopped the run.
        with finishing():
            progress = reconciler.progress
            failure = _stopped_by(error, plans, progress, check_mode)
            done = _fleet_result(plans, progress, diff, reservation, options)
        changed = done["changed"] or failure.result.get("changed", False)
        message = _fleet_failure(failure, plans, progress, done)
        if warnings:
            done["warnings"] = warnings
        raise FiskalyError(message, **{**failure.result, **done, "changed": changed}) from None
    with finishing():
        result = _fleet_result(plans, reconciler.progress, diff, reservation, options)
    if warnings:
        result["warnings"] = warnings
    _fail_on_last_resort(result, "secrets_file_error")
    return result


def _fleet_failure(failure: FiskalyError, plans: list[Plan], progress: FleetProgress, done: dict) -> str:
    """The message of the failure that ends a fleet's run: the first failure, the other writes that failed and the
    keys created whose secret was lost (each named in its entry), and where the secrets of the keys created are."""
    message = str(failure)
    others = {index: other for index, other in progress.failures.items() if other is not failure}
    failed = [other for other in others.values() if not isinstance(other, SecretLost)]
    lost = [plans[index].name for index, other in others.items() if isinstance(other, SecretLost)]
    if failed:
        tell = messages.other_failures if failure in progress.failures.values() else messages.writes_failed
        message = tell(message, len(failed))
    if lost:
        message = messages.also_lost_secrets(message, lost)
    if "secrets_file" in done:
        kept = progress.secrets_kept()
        before = kept if progress.kept_at_stop is None else progress.kept_at_stop
        message = messages.secrets_kept_in(message, before, kept - before, done["secrets_file"])
    elif "secrets_file_error" in done:
        message = messages.failed_with_last_resort(message, done["secrets_file_error"], "fleet[].secret")
    return message


def _stopped_by(error: BaseException, plans: list[Plan], progress: FleetProgress, check_mode: bool) -> FiskalyError:
    """The failure that ends the run: the first failed write, or what stopped it otherwise (a signal, the secrets
    file)."""
    if isinstance(error, Interrupted) and progress.writing is not None:
        # Cut short while it wrote one key, one at a time: that key's entry says so.
        progress.failures[progress.writing] = interrupted_failure(error, plans[progress.writing], check_mode)
        return progress.failures[progress.writing]
    return as_failure(error, None, check_mode)


def refuse_bad_paths(option: str, path: str | None) -> None:
    """Before any request: a path that cannot name a new file (an empty one, say) fails the run."""
    errors = path_errors(option, path)
    if errors:
        raise InvalidInput("; ".join(errors))


def as_failure(error: BaseException, plan: Plan | None, check_mode: bool) -> FiskalyError:
    if isinstance(error, FiskalyError):
        return error
    if isinstance(error, Interrupted):
        return interrupted_failure(error, plan, check_mode)
    return FiskalyError.unexpected(error)


def interrupted_failure(error: Interrupted, plan: Plan | None, check_mode: bool) -> FiskalyError:
    if plan is None or check_mode or plan.action == "none":
        return FiskalyError(messages.interrupted(error))
    return FiskalyError(messages.interrupted_writing(error, plan.name, plan.action == "create"))


def _fleet_result(
    plans: list[Plan], progress: FleetProgress, diff: bool, reservation: Reservation | None, options: FleetOptions
) -> dict:
    """A result per key, in the order declared (the undeclared keys after them): done, failed, or (after a failure) not
    attempted; the summary counts every key, and the list keeps those that changed or failed, unless ``every_entry``.
    """
    entries = []
    for index, plan in enumerate(plans):
        if index in progress.outcomes:
            entries.append(progress.outcomes[index].result())
        elif index in progress.failures:
            entries.append(_failed_entry(plan, progress.failures[index]))
        else:
            entries.append({**entry_of(plan), "changed": False, "attempted": False})
    summary = dict.fromkeys(SUMMARY_FIELDS, 0)
    for entry in entries:
        summary[counted_as(entry)] += 1
    if not options.every_entry:
        # A run over 10,000 keys that changed three returns three entries, not 10,000 (the summary counts the rest).
        entries = [entry for entry in entries if entry["changed"] or "error" in entry]
    # Not "results": ansible-core 2.19 and 2.20 take that key for loop results and show its items under no_log.
    result = {"changed": any(item["changed"] for item in entries), "fleet": entries, "summary": summary}
    secrets = {item["name"]: item["secret"] for item in entries if "secret" in item}
    in_file = {
        plans[index].name: secrets_file_entry(plans[index], outcome.api_key, outcome.secret)
        for index, outcome in progress.outcomes.items()
        if outcome.secret is not None
    }
    if reservation is not None and secrets:
        for item in entries:
            item.pop("secret", None)
        # Should no file take them, the secrets go back into the entries as a last resort.
        _hand_over(
            reservation,
            json.dumps(in_file, indent=2, sort_keys=True) + "\n",
            result,
            {
                "fleet": [
                    {**item, "secret": secrets[item["name"]]} if item["name"] in secrets else item for item in entries
                ]
            },
        )
    elif reservation is not None:
        reservation.release()
    if diff:
        changed = [progress.outcomes[index].plan for index in sorted(progress.outcomes)]
        changed = [plan for plan in changed if plan.changed]
        result["diff"] = [plan.diff() for plan in changed] if options.full_diff else fleet_diff_lines(changed)
    return result


def entry_of(plan: Plan) -> dict:
    """The fields that every entry of a fleet's result has: the key's name and the action, and whether the
    declaration left it out."""
    entry: dict = {"name": plan.name, "action": plan.action}
    if plan.desired.declared_as == UNDECLARED:
        entry["undeclared"] = True
    return entry


def secrets_file_entry(plan: Plan, api_key: dict, secret: str) -> str | dict:
    """What secrets_file holds for a new key: its secret (the draft, where the name is the api_key), or the pair that
    logs in with it, ``api_key`` and ``api_secret`` (0.12, where the API made the ``key``)."""
    credential = plan.api.KEY_CREDENTIAL
    if credential is None:
        return secret
    return {"api_key": api_key.get(credential), "api_secret": secret}


def file_content(plan: Plan, api_key: dict, secret: str) -> str:
    """What secret_file holds: the secret alone (the draft), or the JSON of the pair that logs in with it (0.12)."""
    entry = secrets_file_entry(plan, api_key, secret)
    return entry if isinstance(entry, str) else json.dumps(entry, indent=2, sort_keys=True) + "\n"


def counted_as(entry: dict) -> str:
    """The field of the summary that counts a key, from its entry, the outcome the run reports for it: once for each
    key.

    The action is the one carried out (a create that lost the race to another run is reconciled with the key found,
    most often "none"); a key created whose secret was lost counts as created, not as failed.
    """
    if entry.get("attempted") is False:
        return "not_attempted"
    if "error" in entry:
        return "created" if entry.get("secret_lost") else "failed"
    return COUNTED_AS.get(entry["action"], "unchanged") if entry["changed"] else "unchanged"


def _failed_entry(plan: Plan, failure: FiskalyError) -> dict:
    entry = {**entry_of(plan), "changed": bool(failure.result.get("changed")), "error": str(failure)}
    if isinstance(failure, SecretLost):
        entry["secret_lost"] = True
    if "api_key" in failure.result:
        entry["api_key"] = failure.result["api_key"]
    return entry


def _hand_over(reservation: Reservation, content: str, result: dict, last_resort: dict) -> None:
    """Write the secrets to the reserved file and say in ``result`` where they are; a secret in hand is never thrown
    away."""
    where, reason = reservation.fill(content)
    if where is not None:
        result[reservation.option] = where
    if reason is None:
        return
    if where is not None:
        result.setdefault("warnings", []).append(messages.secret_in_fallback(reason, where))
        return
    result.update(last_resort)
    result[f"{reservation.option}_error"] = reason


def _fail_on_last_resort(result: dict, error_field: str) -> None:
    """No file took the secrets: fail, so that the result that holds them is shown even at the default verbosity."""
    if error_field in result:
        field = "secret" if error_field == "secret_file_error" else "fleet[].secret"
        raise FiskalyError(messages.last_resort(result[error_field], field), **result)
