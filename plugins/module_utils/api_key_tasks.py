# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two shapes of a fiskaly_api_key run, one key or a fleet (internal, not a public API)."""

from __future__ import annotations

import json

from .api_key_state import DesiredKey, Outcome, Reconciler, plan_keys
from .errors import FiskalyError
from .secret_file import check_can_write, write_once


def manage_one(client, key: DesiredKey, *, check_mode: bool, diff: bool, secret_file: str | None = None) -> dict:
    """Reconcile one key: the result has ``api_key`` and, once, its ``secret``."""
    plan = plan_keys(client, [key])[0]
    if secret_file and plan.action == "create":
        check_can_write("secret_file", secret_file)
    outcome = Reconciler(client, check_mode).apply(plan)
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
    except Exception as error:  # pylint: disable=broad-exception-caught
        # Keep what was done, and above all the secrets of keys already created, whatever went wrong.
        failure = error if isinstance(error, FiskalyError) else FiskalyError(f"Unexpected error: {type(error).__name__}: {error}")
        done = _fleet_result(reconciler.done, diff, secrets_file)
        failure.result.update(done, changed=done["changed"] or failure.result.get("changed", False))
        raise failure from None
    return _fleet_result(reconciler.done, diff, secrets_file)


def _fleet_result(outcomes: list[Outcome], diff: bool, secrets_file: str | None) -> dict:
    results = [outcome.result() for outcome in outcomes]
    summary = {"created": 0, "enabled": 0, "disabled": 0, "unchanged": 0}
    for outcome in outcomes:
        summary[{"create": "created", "enable": "enabled", "disable": "disabled"}.get(outcome.plan.action, "unchanged")] += 1
    result = {"changed": any(outcome.plan.changed for outcome in outcomes), "results": results, "summary": summary}
    if secrets_file:
        secrets = {item["name"]: item.pop("secret") for item in results if "secret" in item}
        if secrets:
            _write_secrets("secrets_file", secrets_file, json.dumps(secrets, indent=2, sort_keys=True) + "\n", list(secrets), result)
    if diff:
        result["diff"] = [outcome.plan.diff() for outcome in outcomes if outcome.plan.changed]
    return result


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
