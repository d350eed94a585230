"""The secret file: written once, whole, owner-only, never over an existing file."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils.errors import InvalidInput
from ansible_collections.fiskaly.management.plugins.module_utils.secret_file import check_can_write, write_once


def test_writes_the_secret_with_mode_0600_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "pos.secret"
    write_once(str(path), "s3cret")
    assert path.read_text() == "s3cret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["pos.secret"]


def test_never_overwrites(tmp_path):
    path = tmp_path / "pos.secret"
    path.write_text("first")
    with pytest.raises(FileExistsError):
        write_once(str(path), "second")
    assert path.read_text() == "first"
    assert os.listdir(tmp_path) == ["pos.secret"]


def test_check_refuses_an_existing_file_a_dangling_link_and_a_missing_directory(tmp_path):
    existing = tmp_path / "existing"
    existing.write_text("x")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(InvalidInput, match="secret_file .*existing already exists, and a secret file is never overwritten"):
        check_can_write("secret_file", str(existing))
    with pytest.raises(InvalidInput, match="already exists"):
        check_can_write("secret_file", str(dangling))
    with pytest.raises(InvalidInput, match="the directory .*missing does not exist"):
        check_can_write("secrets_file", str(tmp_path / "missing" / "file"))
    check_can_write("secret_file", str(tmp_path / "new"))
