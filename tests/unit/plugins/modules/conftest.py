# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the module tests: each module's ``main()`` run in this process with patched arguments, against the emulator.

The emulator is the collection's own package, ``emulator/fiskaly_emulator``, taken from the collection under test
(ansible-test units runs the tests in the collection, or in a copy of it): this file puts ``emulator/`` on
``sys.path``, so that nothing has to be installed but the emulator's dependencies (tests/unit/requirements.txt).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from pathlib import Path

import pytest
from ansible.module_utils.common.parameters import PASS_VARS

# The result echoes the module's arguments (no_log ones replaced) as Ansible shows them at -vvv: ansible-core 2.19 and
# later add "invocation" only when asked to, the earlier ones always.
INVOCATION = {"_ansible_inject_invocation": True} if "inject_invocation" in PASS_VARS else {}

EMULATOR_DIR = Path(__file__).resolve().parents[4] / "emulator"
if str(EMULATOR_DIR) not in sys.path:
    sys.path.insert(0, str(EMULATOR_DIR))
Emulator = importlib.import_module("fiskaly_emulator").Emulator

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19 and later
except ImportError:  # ansible-core 2.16 to 2.18: AnsibleModule reads its arguments from basic._ANSIBLE_ARGS
    from unittest import mock

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))):
            yield


# What a no_log value becomes in the result (ansible-core 2.16 to 2.21 write it so; 2.22's controller masks it).
NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
# Every value that ansible-core 2.22 listed as registered in this process (see ModuleRun).
REGISTERED_SECRETS: set[str] = set()


class ModuleRun:
    """What a module printed and returned: ``result`` is the JSON the controller would receive, ``output`` the text of it."""

    def __init__(self, output: str, exit_code: int) -> None:
        # ansible-core 2.22 leaves no_log values in a module's own output and lists them in _ansible_new_secrets, for
        # the controller to mask in everything it shows, logs or stores; ``result`` is what a registered variable
        # holds, ``output`` what the controller shows. A value is listed once per process, when it is first
        # registered, and stays registered: so every value listed in this process is masked (with the placeholder of
        # the older lines, so that one assertion holds on all of them), and a value never registered still shows.
        self.result = json.loads(output)
        REGISTERED_SECRETS.update(self.result.pop("_ansible_new_secrets", []))
        for secret in sorted(REGISTERED_SECRETS, key=len, reverse=True):
            output = output.replace(json.dumps(secret)[1:-1], NO_LOG_PLACEHOLDER)
        self.output = output
        self.exit_code = exit_code
        self.shown = json.loads(output)

    def __getitem__(self, key):
        return self.result[key]

    def __contains__(self, key) -> bool:
        return key in self.result

    def get(self, key, default=None):
        return self.result.get(key, default)


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory):
    """One emulator on a free loopback port for the session (for each xdist worker)."""
    server = Emulator(host="127.0.0.1", port=0, tls_dir=tmp_path_factory.mktemp("emulator-tls")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator(emulator_server):  # pylint: disable=redefined-outer-name
    """The session's emulator, with no key, token, fault or logged request left by an earlier test."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def run_module(emulator, capsys, monkeypatch):  # pylint: disable=redefined-outer-name
    """``run_module(module, check_mode=False, diff=False, **options)``: run ``module.main()`` as Ansible would.

    The connection options and the emulator's full-rights key pair are given unless ``options`` set them (None leaves
    one out). Variables FISKALY_* of the environment running the tests are not seen.
    """
    for name in [name for name in os.environ if name.startswith("FISKALY_")]:
        monkeypatch.delenv(name)

    def run(module, check_mode: bool = False, diff: bool = False, **options) -> ModuleRun:
        args = {
            "base_url": emulator.base_url,
            "ca_path": emulator.ca_path,
            "api_key": emulator.api_key,
            "api_secret": emulator.api_secret,
            **options,
        }
        args = {name: value for name, value in args.items() if value is not None}
        args.update({"_ansible_check_mode": check_mode, "_ansible_diff": diff, **INVOCATION})
        capsys.readouterr()
        with patch_module_args(args), pytest.raises(SystemExit) as exited:
            module.main()
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        run = ModuleRun(captured.out, exited.value.code)  # type: ignore[arg-type]
        # exit_json exits 0, fail_json 1: never anything else, never an exception of the module's.
        assert run.exit_code == (1 if run.get("failed") else 0), run.output
        return run

    return run


@pytest.fixture
def minted(emulator):  # pylint: disable=redefined-outer-name
    """``minted()``: every secret the emulator has handed out in this test (key secrets, access and refresh tokens), in order."""
    start = len(emulator.minted_secrets())
    return lambda: [secret.value for secret in emulator.minted_secrets(start)]
