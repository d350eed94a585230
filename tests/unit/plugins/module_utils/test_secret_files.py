# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The secret file: reserved (created exclusively, 0600) before the key is, refused wherever the OS would refuse it,
filled once, and never a secret thrown away or left in an unnamed file when writing fails after all."""

from __future__ import annotations

import errno
import os
import stat
import tempfile

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys import secret_files as secret_file
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.secret_files import path_errors, reserve
from ansible_collections.fiskaly.management.plugins.module_utils._errors import InvalidInput


def test_reserving_creates_an_empty_owner_only_file_that_the_secret_then_fills(tmp_path):
    path = tmp_path / "pos.secret"
    reservation = reserve("secret_file", str(path))
    assert path.read_text() == "" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert reservation.fill("s3cret") == (str(path), None)
    assert path.read_text() == "s3cret" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["pos.secret"]  # no temporary file


def test_a_reservation_that_gets_no_secret_is_removed(tmp_path):
    path = tmp_path / "pos.secret"
    reserve("secret_file", str(path)).release()
    assert not path.exists()


def test_check_mode_proves_the_file_can_be_created_and_leaves_nothing(tmp_path):
    assert reserve("secret_file", str(tmp_path / "pos.secret"), check_mode=True) is None
    assert os.listdir(tmp_path) == []
    with pytest.raises(InvalidInput, match="does not exist"):
        reserve("secret_file", str(tmp_path / "missing" / "pos.secret"), check_mode=True)


def test_refuses_an_existing_file_a_dangling_link_and_a_missing_directory(tmp_path):
    existing = tmp_path / "existing"
    existing.write_text("x")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(
        InvalidInput, match=r"secret_file .*existing already exists, and a secret file is never overwritten"
    ):
        reserve("secret_file", str(existing))
    with pytest.raises(InvalidInput, match="already exists"):
        reserve("secret_file", str(dangling))
    with pytest.raises(InvalidInput, match=r"the directory .*missing does not exist"):
        reserve("secrets_file", str(tmp_path / "missing" / "file"))
    assert existing.read_text() == "x" and not (tmp_path / "nowhere").exists()


def test_refuses_paths_the_os_will_not_open_though_a_look_at_the_directory_passes(tmp_path):
    # "missing/.." looks like tmp_path to os.path.abspath(); the OS walks through "missing" and fails.
    with pytest.raises(InvalidInput, match=r"missing/.. does not exist"):
        reserve("secret_file", str(tmp_path / "missing" / ".." / "pos.secret"))
    # sysfs: os.access() calls the directory writable, yet no file can be created there.
    if os.path.isdir("/sys/kernel"):
        with pytest.raises(InvalidInput, match="cannot be created"):
            reserve("secret_file", "/sys/fiskaly-test.secret")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "must not be empty"),
        ("  ", "must not be empty"),
        ("/tmp/keys/", "names a directory"),
        ("/tmp/keys/.", "names a directory"),
        ("/tmp/missing/..", "names a directory"),
        ("pos.secret\n", "must not contain line breaks"),
    ],
)
def test_paths_that_cannot_name_a_new_file_are_refused_before_any_request(path, message):
    errors = path_errors("secret_file", path)
    assert len(errors) == 1 and message in errors[0] and errors[0].startswith("secret_file ")


def test_a_path_that_is_not_given_is_no_error():
    assert path_errors("secret_file", None) == [] and path_errors("secrets_file", "/tmp/ok.json") == []


def failing_writes(monkeypatch, fail_for: set[str] | None = None):
    """os.write fails (a full disk) for the reserved file, and for the fallbacks in the directories named."""
    real_write = os.write
    paths: dict[int, str] = {}
    real_open, real_mkstemp = os.open, tempfile.mkstemp

    def recording_open(path, *args, **kwargs):
        descriptor = real_open(path, *args, **kwargs)
        paths[descriptor] = str(path)
        return descriptor

    def recording_mkstemp(*args, **kwargs):
        descriptor, path = real_mkstemp(*args, **kwargs)
        paths[descriptor] = path
        return descriptor, path

    def write(descriptor, data):
        path = paths.get(descriptor, "")
        if fail_for is None or os.path.basename(path) == "pos.secret" or os.path.dirname(path) in fail_for:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "open", recording_open)
    monkeypatch.setattr(tempfile, "mkstemp", recording_mkstemp)
    monkeypatch.setattr(os, "write", write)


def test_a_write_that_fails_after_all_puts_the_secret_in_a_named_fallback_file(tmp_path, monkeypatch):
    path = tmp_path / "pos.secret"
    failing_writes(monkeypatch, fail_for=set())
    reservation = reserve("secret_file", str(path))

    where, reason = reservation.fill("s3cret")

    assert reason == f"secret_file {path} could not be written: No space left on device"
    assert where is not None and os.path.basename(where).startswith(secret_file.FALLBACK_PREFIX + "pos.secret.")
    assert open(where, encoding="utf-8").read() == "s3cret" and stat.S_IMODE(os.stat(where).st_mode) == 0o600
    assert not path.exists()  # the reserved file may hold part of the secret: it goes
    os.unlink(where)


def test_when_no_file_takes_the_secret_the_caller_gets_it_back_and_no_file_is_left(tmp_path, monkeypatch):
    path = tmp_path / "pos.secret"
    reservation = reserve("secret_file", str(path))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    failing_writes(monkeypatch)

    assert reservation.fill("s3cret") == (None, f"secret_file {path} could not be written: No space left on device")
    assert sorted(os.listdir(tmp_path)) == ["home"] and os.listdir(home) == []


def test_a_relative_path_is_reported_as_the_absolute_path_where_the_file_is(tmp_path, monkeypatch):
    # The module runs in ansible-playbook's directory with the local connection: the file lands there.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keys").mkdir()
    reservation = reserve("secrets_file", "keys/new.json")
    assert reservation.path == str(tmp_path / "keys" / "new.json")
    assert reservation.fill("{}") == (str(tmp_path / "keys" / "new.json"), None)
    assert (tmp_path / "keys" / "new.json").read_text() == "{}"


def test_a_relative_path_that_is_refused_is_named_as_given_and_where_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.json").write_text("x")
    with pytest.raises(InvalidInput) as existing:
        reserve("secrets_file", "taken.json")
    with pytest.raises(InvalidInput) as missing:
        reserve("secret_file", "missing/pos.secret")
    # As the OS walks it, not normalized: "missing/.." is still refused.
    with pytest.raises(InvalidInput) as walked:
        reserve("secret_file", "missing/../pos.secret")
    assert str(existing.value).startswith(f"secrets_file taken.json ({tmp_path}/taken.json) already exists")
    assert (
        str(missing.value)
        == f"secret_file missing/pos.secret ({tmp_path}/missing/pos.secret): the directory {tmp_path}/missing does not exist"
    )
    assert str(walked.value).endswith(f"the directory {tmp_path}/missing/.. does not exist")
    assert sorted(os.listdir(tmp_path)) == ["taken.json"]
