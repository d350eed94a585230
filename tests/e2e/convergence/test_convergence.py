# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property: whatever the sequence of desired states, kinds, out-of-band changes and retryable faults, each run of
fiskaly_api_key leaves the key as asked and reports ``changed`` exactly when the emulator's state changed.

The module's own ``main()`` runs in-process (an ansible-playbook run per step would be too slow), against the real
emulator over HTTPS."""

from __future__ import annotations

import contextlib
import io
import json
import time
from unittest import mock

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from harness import report
from harness.collection_path import import_from_collection
from harness.fault_catalogue import fault_targets, retryable_faults

import_from_collection()

# pylint: disable-next=wrong-import-position
from ansible.module_utils import basic  # noqa: E402

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
except ImportError:
    patch_module_args = None

# pylint: disable-next=wrong-import-position
from ansible_collections.fiskaly.management.plugins.modules import fiskaly_api_key  # noqa: E402

NAME = "prop-key"
FAULTS = retryable_faults(read_timeout_delay=0.8)
TARGETS = fault_targets(NAME)
SHOWN = ("name", "kind", "status", "metadata")
SEEN: dict[str, int] = {}


def patched_args(args: dict):
    if patch_module_args is not None:
        return patch_module_args(args)
    return mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode())


def run_module(args: dict) -> dict:
    """main() of the module with these arguments: its exit_json or fail_json document."""
    output = io.StringIO()
    with patched_args(args), contextlib.redirect_stdout(output), contextlib.suppress(SystemExit):
        fiskaly_api_key.main()
    return json.loads(output.getvalue())


def shown(key: dict | None) -> dict | None:
    return None if key is None else {name: key.get(name) for name in SHOWN}


class Convergence(RuleBasedStateMachine):
    """The emulator is the model's state: each step is checked against what it held before."""

    def __init__(self, emulator):
        super().__init__()
        self.emulator = emulator
        emulator.reset()
        self.connection = {
            "base_url": emulator.base_url,
            "ca_path": emulator.ca_path,
            "api_key": emulator.api_key,
            "api_secret": emulator.api_secret,
            "retries": 3,
            "retry_deadline": 20,
            "timeout": 0.4,
        }

    def current(self) -> dict | None:
        return shown(self.emulator.keys().get(NAME))

    def settle(self, injected: int) -> int:
        """Drop a fault this run had no request for, and let a delayed request finish before the next step."""
        consumed = injected - len(self.emulator.pending_faults())
        self.emulator.faults.clear()
        stop = time.monotonic() + 10
        while (
            len([entry for entry in self.emulator.requests() if entry["fault"]]) < consumed and time.monotonic() < stop
        ):
            time.sleep(0.05)
        self.emulator.clear_requests()
        return consumed

    @rule(
        state=st.sampled_from(["present", "enabled", "disabled"]),
        kind=st.sampled_from([None, "test", "live"]),
        fault=st.one_of(st.none(), st.tuples(st.sampled_from(sorted(FAULTS)), st.sampled_from(sorted(TARGETS)))),
        check=st.booleans(),
    )
    def run(self, state, kind, fault, check):
        before = self.current()
        if fault is not None:
            self.emulator.inject(fault[1], TARGETS[fault[1]], [FAULTS[fault[0]]])
        args = {
            **self.connection,
            "name": NAME,
            "state": state,
            **({"kind": kind} if kind else {}),
            "_ansible_check_mode": check,
        }

        result = run_module(args)

        consumed = self.settle(1 if fault else 0)
        after = self.current()
        if before is None and kind is None:
            assert result.get("failed") and "kind is required" in result["msg"] and after is None, result
            outcome = "refused: kind required"
        elif before is not None and kind is not None and kind != before["kind"]:
            assert result.get("failed") and "cannot change the kind" in result["msg"] and after == before, result
            outcome = "refused: kind drift"
        elif (
            result.get("failed")
            and fault == ("delay beyond timeout", "PUT")
            and "its secret was not received" in result["msg"]
        ):
            # A race the API has too: the delayed create landed before its retry, which met 409. The key is as
            # asked, created once, and the module says that its secret is lost instead of calling it unchanged.
            wanted = {
                "name": NAME,
                "kind": kind,
                "status": "disabled" if state == "disabled" else "enabled",
                "metadata": {},
            }
            assert before is None and not check and after == wanted and shown(result["api_key"]) == wanted, result
            assert result["changed"] is True and "secret" not in result and self.emulator.create_count(NAME) == 1
            outcome = "created, lost secret reported"
        else:
            assert not result.get("failed"), result
            status = state if state != "present" else (before or {"status": "enabled"})["status"]
            wanted = {"name": NAME, "kind": before["kind"] if before else kind, "status": status, "metadata": {}}
            assert shown(result["api_key"]) == wanted, result
            assert after == (before if check else wanted)
            # changed: exactly when the key was (or, in check mode, would be) different afterwards.
            assert result["changed"] == (wanted != before), (before, wanted, result)
            assert ("secret" in result) == (before is None and not check)
            outcome = "converged"
        label = f"{fault[0]} met" if consumed else "no fault met"
        SEEN[f"{label}: {outcome}"] = SEEN.get(f"{label}: {outcome}", 0) + 1

    @precondition(lambda self: self.current() is not None)
    @rule(status=st.sampled_from(["enabled", "disabled"]))
    def someone_else_sets_status(self, status):
        self.emulator.keystore.update_status(NAME, status)


def test_any_sequence_of_desired_states_and_faults_converges_and_reports_changed_truthfully(emulator):
    SEEN.clear()
    run_state_machine_as_test(
        lambda: Convergence(emulator),
        settings=settings(
            max_examples=25,
            stateful_step_count=10,
            deadline=None,
            derandomize=False,
            suppress_health_check=[HealthCheck.too_slow],
            print_blob=True,
        ),
    )
    # The faults were really met on the way to convergence, not only drawn.
    survived = sorted(
        {key.split(" met")[0] for key in SEEN if key.endswith(" met: converged") and not key.startswith("no fault")}
    )
    assert len(survived) >= 4, SEEN
    report(
        "property: convergence under faults (hypothesis, in-process main())",
        "steps run",
        f"{sum(SEEN.values())} steps; faults met and survived: {', '.join(survived)}",
    )
