"""Fixtures shared by the whole test suite: one HTTPS emulator of the fiskaly Management API per session."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

from fiskaly_emulator import Emulator  # noqa: E402  # pylint: disable=wrong-import-position


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
def emulator(emulator_server: Emulator) -> Iterator[Emulator]:  # pylint: disable=redefined-outer-name
    """The session emulator, reset to an empty state for this test."""
    emulator_server.reset()
    yield emulator_server
