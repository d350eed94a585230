"""Fixtures of the integration tests; the harness itself is in harness.py."""

from __future__ import annotations

import pytest

from harness import Ansible


@pytest.fixture
def ansible(emulator, tmp_path) -> Ansible:
    (tmp_path / "ansible-tmp").mkdir()
    return Ansible(emulator, tmp_path)
