# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: a tls_dir and an output file belong to one running emulator at a time, and the CA's path handed out is
absolute."""

# pylint: disable=missing-function-docstring  # pytest tests
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import requests

from fiskaly_emulator import Emulator, atomic
from fiskaly_emulator.atomic import InUse, publish


def answers(emu: Emulator) -> bool:
    return (
        requests.get(emu.base_url[: -len("/api/v0")] + "/_emulator/stats", verify=emu.ca_path, timeout=10).status_code
        == 200
    )


def test_a_second_emulator_with_the_same_tls_dir_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    with Emulator(tls_dir=tmp_path) as first:
        ca = Path(first.ca_path).read_bytes()
        second = Emulator(tls_dir=tmp_path)
        with pytest.raises(ValueError, match="is the --tls-dir of an emulator that is running"):
            second.start()
        assert Path(first.ca_path).read_bytes() == ca and answers(first)
    with Emulator(tls_dir=tmp_path) as third:  # free again once the first stopped
        assert answers(third)


def test_a_relative_tls_dir_gives_an_absolute_ca_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    emu = Emulator(tls_dir="tls")
    monkeypatch.chdir("/")  # where the directory is resolved: at construction, as the caller meant it
    with emu:
        assert os.path.isabs(emu.ca_path) and emu.ca_path == str(tmp_path / "tls" / "ca.pem") and answers(emu)


def test_of_two_emulators_starting_at_once_with_one_tls_dir_exactly_one_runs(tmp_path: Path) -> None:
    emulators = [Emulator(tls_dir=tmp_path) for _number in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def start(emu: Emulator) -> None:
        barrier.wait()
        try:
            emu.start()
            outcomes.append("started")
        except ValueError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=start, args=(emu,)) for emu in emulators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert (
            sorted(outcomes)[-1] == "started"
            and "is the --tls-dir of an emulator that is running" in sorted(outcomes)[0]
        ), outcomes
        (running,) = [emu for emu in emulators if emu._httpd is not None]  # pylint: disable=protected-access
        assert answers(running)
    finally:
        for emu in emulators:
            emu.stop()


def test_an_output_file_of_a_running_emulator_is_never_replaced_and_a_stale_one_is(tmp_path: Path) -> None:
    path = tmp_path / "emulator.env"
    held = publish(path, b"first\n", 0o600)
    with pytest.raises(InUse):
        publish(path, b"second\n", 0o600)
    assert path.read_bytes() == b"first\n" and os.listdir(tmp_path) == ["emulator.env"]  # no temporary file left
    os.close(held)  # the first emulator stopped without removing it: stale
    os.close(publish(path, b"third\n", 0o600))
    assert path.read_bytes() == b"third\n" and os.stat(path).st_mode & 0o777 == 0o600


def test_on_a_file_system_without_hard_links_a_held_file_is_not_replaced_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(*_args, **_kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "link", no_link)
    path = tmp_path / "emulator.env"
    held = publish(path, b"first\n", 0o600)
    with pytest.raises(InUse):
        publish(path, b"second\n", 0o600)
    assert path.read_bytes() == b"first\n" and os.listdir(tmp_path) == ["emulator.env"]
    os.close(held)
    os.close(publish(path, b"third\n", 0o600))
    assert path.read_bytes() == b"third\n"


def test_a_stale_file_that_another_emulator_replaced_while_it_was_claimed_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two emulators start at once on a stale file: the second opens it, the first replaces it and lets go of it, then
    # the second locks the stale file, which no longer has the name. Made deterministic by running the first in between.
    path = tmp_path / "emulator.env"
    path.write_bytes(b"stale\n")
    stale = os.stat(path)
    real_lock = atomic._lock  # pylint: disable=protected-access
    first: list[int] = []

    def lock(fd: int) -> bool:
        if not first and os.path.samestat(os.fstat(fd), stale):
            first.append(-1)
            first[0] = publish(path, b"first\n", 0o600)
        return real_lock(fd)

    monkeypatch.setattr(atomic, "_lock", lock)
    with pytest.raises(InUse):
        publish(path, b"second\n", 0o600)
    assert first[0] >= 0 and path.read_bytes() == b"first\n" and os.listdir(tmp_path) == ["emulator.env"]
    os.close(first[0])


def test_of_many_emulators_writing_one_output_file_at_once_exactly_one_does(tmp_path: Path) -> None:
    path = tmp_path / "emulator.json"
    barrier = threading.Barrier(8)
    won: list[int] = []
    lost: list[str] = []

    def write(number: int) -> None:
        barrier.wait()
        try:
            won.append(publish(path, f"{number}\n".encode(), 0o600))
        except InUse:
            lost.append(str(number))

    threads = [threading.Thread(target=write, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert (len(won), len(lost)) == (1, 7) and os.listdir(tmp_path) == ["emulator.json"]
    os.close(won[0])
