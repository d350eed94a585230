# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: the secret scan of every integration playbook, so that a plain ``ansible-test integration`` scans too.

It keeps what callbacks receive (every host event, as Ansible hands it over, no_log applied) and every line displayed,
and at the end of the playbook asks each emulator that setup_emulator started (one per API version) for every secret
it minted (GET admin_url/minted?since=0): key secrets and tokens alike, in either dialect. The rules are those of the
pytest harness, tests/e2e/harness/secret_scan.py, loaded from the collection under test: a minted secret, an input
secret (the emulator's credentials) or a Python traceback fails the playbook. tests/integration/integration.cfg puts this directory on the callback path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import ssl
import sys
import urllib.request

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase
from ansible.utils.display import Display

DOCUMENTATION = """
name: fiskaly_secret_scan
type: aggregate
short_description: Fail an integration playbook whose output shows a secret
description:
  - Scans every host event and every displayed line of the playbook for the secrets the emulator minted, its credentials
    and Python tracebacks, with the rules of tests/e2e/harness/secret_scan.py, and fails the playbook on any.
  - Learns the emulator from the fact setup_emulator_scan that the target setup_emulator sets.
"""

RULES = os.path.join("tests", "e2e", "harness", "secret_scan.py")
SCAN_FACT = "setup_emulator_scan"
# The exit status of a playbook whose output showed a secret (its own failures come first).
LEAK_EXIT = 3


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fiskaly_secret_scan"
    # ansible-test sets ANSIBLE_CALLBACKS_ENABLED itself: a callback found on the path must load without it.
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._seen: list[str] = []
        # Every emulator setup_emulator set up in this playbook (one per API version), by its details file.
        self._scans: dict[str, dict] = {}
        self._keep_displayed()

    def _keep_displayed(self) -> None:
        """Keep every line Display shows (the stdout callback's, warnings, errors), from this process and the workers."""
        display = Display()
        shown = display.display

        def display_and_keep(msg, *args, **kwargs):
            self._seen.append(str(msg))
            return shown(msg, *args, **kwargs)

        display.display = display_and_keep

    def _keep(self, result, *_args, **_kwargs) -> None:
        facts = result._result.get("ansible_facts") or {}
        if isinstance(facts.get(SCAN_FACT), dict):
            self._scans["".join(facts[SCAN_FACT]["json"])] = facts[SCAN_FACT]
        self._seen.append(json.dumps(result._result, cls=AnsibleJSONEncoder))

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = v2_runner_on_unreachable = _keep
    v2_runner_item_on_ok = v2_runner_item_on_failed = v2_runner_item_on_skipped = v2_runner_retry = v2_on_file_diff = (
        _keep
    )

    def v2_playbook_on_stats(self, stats) -> None:
        if not self._scans:
            self._display.warning(
                "fiskaly_secret_scan: no emulator was set up in this playbook, so nothing was scanned"
            )
            return
        try:
            for scan in list(self._scans.values()):
                self._scan_output(scan)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # ansible-core turns a callback's exception into a warning: a scan that could not run must fail the run.
            self._display.error(f"fiskaly_secret_scan: the scan could not run: {exc!r}")
            sys.exit(LEAK_EXIT)

    def _scan_output(self, scan: dict) -> None:
        # Plain str (join gives one; str() keeps the type): a fact's strings are ansible-core's unsafe text, and a
        # module loaded from a path of unsafe text fails to compile ("unmarshallable object").
        collection_root, details_path = ("".join(scan[name]) for name in ("collection_root", "json"))
        rules = _load_rules(os.path.join(collection_root, RULES))
        with open(details_path, encoding="utf-8") as handle:
            details = json.load(handle)
        context = ssl.create_default_context(cafile=details["ca_path"])
        with urllib.request.urlopen(details["admin_url"] + "/minted?since=0", context=context, timeout=30) as answer:
            minted = [
                rules._Minted(entry["kind"], entry["owner"], entry["value"]) for entry in json.load(answer)["minted"]
            ]  # pylint: disable=protected-access
        seen = "\n".join(self._seen)
        inputs = {details["api_secret"], details["readonly_api_secret"]}
        inputs_found = rules.leaked_inputs(seen, inputs)
        minted_found = rules.leaked_minted(seen, minted)
        tracebacks = rules.traceback_count(seen)
        self._display.display(
            f"fiskaly_secret_scan: the {details.get('api_version', '0.1.0-draft')} emulator's minted secrets found: "
            f"{len(minted_found)} ({len(seen)} bytes scanned, {len(minted)} minted secrets "
            f"checked; input secrets found: {len(inputs_found)} of {len(inputs)}; tracebacks seen: {tracebacks})"
        )
        if inputs_found or minted_found or tracebacks:
            named = ", ".join(f"{secret.kind} of {secret.owner}" for secret in minted_found)
            self._display.error(
                f"fiskaly_secret_scan: the output of this playbook shows {len(minted_found)} minted secrets ({named}), "
                f"{len(inputs_found)} input secrets and {tracebacks} traceback lines"
            )
            # Raised, not returned: ansible-core turns an exception of a callback into a warning, and the run would
            # pass.
            sys.exit(LEAK_EXIT)


def _load_rules(path: str):
    """The harness's rules, loaded from the collection by file: tests/e2e is no package of the collection loader."""
    spec = importlib.util.spec_from_file_location("fiskaly_secret_scan_rules", path)
    if spec is None or spec.loader is None or not os.path.isfile(path):
        raise SystemExit(f"fiskaly_secret_scan: the rules of the scan, {path}, are missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
