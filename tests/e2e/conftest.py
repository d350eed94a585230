# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the whole test suite: one HTTPS emulator of the fiskaly Management API per session."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fiskaly_emulator import Emulator
from harness import Ansible, run_report


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator on a free loopback port for the session, with its own CA."""
    server = Emulator(host="127.0.0.1", port=0, tls_dir=tmp_path_factory.mktemp("emulator-tls"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator(request: pytest.FixtureRequest, emulator_server: Emulator) -> Iterator[Emulator]:  # pylint: disable=redefined-outer-name
    """The session emulator, reset to an empty state for this test.

    Indirect parametrization sets its network for the test, with the keyword arguments of
    Emulator.set_network(); a reset after the test restores the defaults:

        @pytest.mark.parametrize("emulator", [{"latency": 0.05, "rate_limit": 100}], indirect=True)
    """
    emulator_server.reset()
    network = getattr(request, "param", None)
    if network is None:
        yield emulator_server
        return
    emulator_server.set_network(**network)
    try:
        yield emulator_server
    finally:
        emulator_server.reset()


@pytest.fixture
def ansible(emulator, tmp_path) -> Ansible:  # pylint: disable=redefined-outer-name
    """Runs ansible-playbook and ansible against the emulator, and scans what each run prints."""
    (tmp_path / "ansible-tmp").mkdir()
    return Ansible(emulator, tmp_path)


def pytest_sessionfinish(session) -> None:
    """A pytest-xdist worker hands its figures to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fiskaly_run_report"] = json.dumps(run_report.snapshot())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # pylint: disable=unused-argument
    """The pytest-xdist controller folds in the figures of a worker that finished."""
    data = getattr(node, "workeroutput", {}).get("fiskaly_run_report")
    if data:
        run_report.merge(json.loads(data))


def pytest_terminal_summary(terminalreporter) -> None:
    run_report.write(terminalreporter)


@pytest.fixture(scope="session")
def emulator_012_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator speaking the management API 0.12 for the session (started on first use only)."""
    server = Emulator(host="127.0.0.1", port=0, tls_dir=tmp_path_factory.mktemp("emulator-012-tls"), api_version="0.12")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator_012(emulator_012_server: Emulator) -> Iterator[Emulator]:  # pylint: disable=redefined-outer-name
    """The 0.12 emulator, reset to an empty state for this test and after it (latency and rate limits set by a test)."""
    emulator_012_server.reset()
    try:
        yield emulator_012_server
    finally:
        emulator_012_server.reset()


@pytest.fixture
def ansible_012(emulator_012, tmp_path) -> Ansible:  # pylint: disable=redefined-outer-name
    """Runs ansible-playbook and ansible against the 0.12 emulator (api_version auto: the login answer decides)."""
    (tmp_path / "ansible-tmp").mkdir()
    return Ansible(emulator_012, tmp_path)
