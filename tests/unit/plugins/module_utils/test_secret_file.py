"""The secret file: written once, whole, owner-only, never over an existing file."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils.errors import InvalidInput
from ansible_collections.fiskaly.management.plugins.module_utils.secret_file import check_can_write, write_once


def test_writes_the_secret_with_mode_0600_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "pos.secret"
    assert write_once(str(path), "s3cret") == str(path)
    assert path.read_text() == "s3cret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["pos.secret"]


def test_a_file_that_appeared_since_the_check_is_not_overwritten_and_the_secret_is_kept_beside_it(tmp_path):
    path = tmp_path / "pos.secret"
    path.write_text("first")
    written = write_once(str(path), "second")
    assert path.read_text() == "first"
    assert written != str(path) and os.path.dirname(written) == str(tmp_path)
    assert open(written, encoding="utf-8").read() == "second"
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600


def test_without_hard_links_the_file_is_still_created_exclusively(tmp_path, monkeypatch):
    def no_links(*_link_args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "pos.secret"
    assert write_once(str(path), "s3cret") == str(path)
    assert path.read_text() == "s3cret" and stat.S_IMODE(path.stat().st_mode) == 0o600
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
