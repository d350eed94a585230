# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two shapes of a fiskaly_api_key run, one key or a fleet (internal, not a public API)."""

from __future__ import annotations

import json

from .api_key_state import DesiredKey, Outcome, Plan, Reconciler, plan_keys
from .errors import FiskalyError
from .interrupt import Interrupted, finishing
from .secret_file import check_can_write, write_once

SUMMARY_FIELDS = ("created", "enabled", "disabled", "unchanged", "failed", "not_attempted")
COUNTED_AS = {"create": "created", "enable": "enabled", "disable": "disabled"}


def manage_one(client, key: DesiredKey, *, check_mode: bool, diff: bool, secret_file: str | None = None) -> dict:
    """Reconcile one key: the result has ``api_key`` and, once, its ``secret``."""
    plan = plan_keys(client, [key])[0]
    if secret_file and plan.action == "create":
        check_can_write("secret_file", secret_file)
    try:
        outcome = Reconciler(client, check_mode).apply(plan)
    except Interrupted as error:
        raise interrupted_failure(error, plan, check_mode) from None
    with finishing():
        result = {"changed": outcome.plan.changed, "api_key": outcome.api_key}
        if outcome.secret is not None:
            if secret_file:
                _write_secrets("secret_file", secret_file, outcome.secret, [key.name], result)
            else:
                result["secret"] = outcome.secret
    if diff:
        result["diff"] = outcome.plan.diff()
    return result


def manage_fleet(client, keys: list[DesiredKey], *, check_mode: bool, diff: bool, secrets_file: str | None = None) -> dict:
    """Reconcile many keys in one run: one login, one listing, one write per change."""
    plans = plan_keys(client, keys)
    if secrets_file and any(plan.action == "create" for plan in plans):
        check_can_write("secrets_file", secrets_file)
    reconciler = Reconciler(client, check_mode)
    try:
        reconciler.apply_all(plans)
    except (Exception, Interrupted) as error:  # pylint: disable=broad-exception-caught
        # Keep what was done, and above all the secrets of keys already created, whatever stopped the run.
        with finishing():
            pending = plans[len(reconciler.done):]
            failure = as_failure(error, pending[0] if pending else None, check_mode)
            done = _fleet_result(reconciler.done, diff, secrets_file, pending, failure)
        if "secrets_file" in done:
            kept = sum(outcome.secret is not None for outcome in reconciler.done)
            failure.args = (f"{failure}. The secrets of the keys created before ({kept}) are in {done['secrets_file']}",)
        failure.result.update(done, changed=done["changed"] or failure.result.get("changed", False))
        raise failure from None
    with finishing():
        return _fleet_result(reconciler.done, diff, secrets_file)


def as_failure(error: BaseException, plan: Plan | None, check_mode: bool) -> FiskalyError:
    if isinstance(error, FiskalyError):
        return error
    if isinstance(error, Interrupted):
        return interrupted_failure(error, plan, check_mode)
    return FiskalyError.unexpected(error)


def interrupted_failure(error: Interrupted, plan: Plan | None, check_mode: bool) -> FiskalyError:
    if plan is None or check_mode or plan.action == "none":
        return FiskalyError(f"The module was {error}")
    doubt = (": the key may have been created all the same, its secret lost. Look it up before you run again, "
             "and disable it if it exists") if plan.action == "create" else ""
    return FiskalyError(f"The module was {error} while it wrote API key '{plan.desired.name}'{doubt}")


def _fleet_result(outcomes: list[Outcome], diff: bool, secrets_file: str | None,
                  pending: list[Plan] | None = None, failure: FiskalyError | None = None) -> dict:
    """A result per declared key: those done, and after a failure the one that failed and those not attempted."""
    entries = [outcome.result() for outcome in outcomes]
    summary = dict.fromkeys(SUMMARY_FIELDS, 0)
    for outcome in outcomes:
        summary[COUNTED_AS.get(outcome.plan.action, "unchanged")] += 1
    if failure is not None and pending:
        entries.append(_failed_entry(pending[0], failure))
        summary["failed"] += 1
        summary["created"] += entries[-1]["changed"] and pending[0].action == "create"  # created, its secret lost
        for plan in pending[1:]:
            entries.append({"name": plan.desired.name, "changed": False, "action": plan.action, "attempted": False})
        summary["not_attempted"] = len(pending) - 1
    # Not "results": ansible-core 2.19 and 2.20 take that key for loop results and show its items under no_log.
    result = {"changed": any(item["changed"] for item in entries), "fleet": entries, "summary": summary}
    if secrets_file:
        secrets = {item["name"]: item.pop("secret") for item in entries if "secret" in item}
        if secrets:
            _write_secrets("secrets_file", secrets_file, json.dumps(secrets, indent=2, sort_keys=True) + "\n", list(secrets), result)
    if diff:
        result["diff"] = [outcome.plan.diff() for outcome in outcomes if outcome.plan.changed]
    return result


def _failed_entry(plan: Plan, failure: FiskalyError) -> dict:
    entry = {"name": plan.desired.name, "changed": bool(failure.result.get("changed")), "action": plan.action, "error": str(failure)}
    if "api_key" in failure.result:
        entry["api_key"] = failure.result["api_key"]
    return entry


def _write_secrets(option: str, path: str, content: str, names: list[str], result: dict) -> None:
    """Write the secrets once and say in ``result`` where they are."""
    try:
        result[option] = write_once(path, content)
    except OSError as error:
        raise FiskalyError(
            f"API keys {', '.join(names)} were created, but their secrets could not be written to {path}: {error.strerror or error}. "
            "The API never shows a secret again: disable these keys and create new ones.",
            changed=True,
        ) from None
    if result[option] != path:
        result.setdefault("warnings", []).append(f"{option} {path} appeared while the key was being created, and a secret file is "
                                                 f"never overwritten: the secret is in {result[option]} instead")
