# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Files that an emulator writes for others to read: each appears whole or not at all, and stays locked while its
emulator runs, so that a second emulator given the same path refuses instead of replacing it under the first."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path


class InUse(Exception):
    """The file belongs to an emulator that is running."""


def _lock(fd: int) -> bool:
    """Take the file's lock without waiting; False when another open file (of any process) holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        pass  # a file system without locks: nothing to tell, as before there were locks
    return True


def claim(path: Path) -> int | None:
    """Lock the file at ``path`` if there is one and return its descriptor (close it once replaced); raise InUse when a
    running emulator holds it. None when there is no file (or a symbolic link, which is never ours).

    The lock is on the file that had the name when it was opened: where another emulator replaced that file meanwhile
    (both found one stale file, starting at once), the file that has the name now is claimed instead."""
    while True:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        if not _lock(fd):
            os.close(fd)
            raise InUse(str(path))
        try:
            if os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False)):
                return fd
        except OSError:
            pass  # gone meanwhile: the next open tells
        os.close(fd)


def lock_directory(path: Path) -> int:
    """Lock a directory for as long as the returned descriptor stays open; raise InUse when a running emulator holds it.

    Unlike a lock on a file in it, this leaves no moment where two emulators starting at once both find it free.
    """
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    if not _lock(fd):
        os.close(fd)
        raise InUse(str(path))
    return fd


def write_atomically(path: Path, data: bytes, mode: int) -> int:
    """Write ``data`` to ``path`` through a temporary file in the same directory, created with ``mode``.

    Return the descriptor of the new file, locked before it took the name: keep it open while the file is in use.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(os.dup(fd), "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        _lock(fd)
        os.replace(tmp, path)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    return fd


def publish(path: Path, data: bytes, mode: int) -> int:
    """Like write_atomically, for a file that one emulator at a time may hold: raise InUse, writing nothing, when an
    emulator that runs holds the file at ``path``. Return the descriptor of the new file's lock.

    The new file takes the name with a hard link, which fails if a file has it: two emulators that both found the
    name free (starting at once) cannot both take it. A file found there is replaced only when no running emulator
    holds it (a stale one).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(os.dup(fd), "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        _lock(fd)
        try:
            os.link(tmp, path)
        except OSError:  # a file has the name (or a file system without hard links): replace it, unless it is held
            held = claim(path)
            try:
                os.replace(tmp, path)
            finally:
                if held is not None:
                    os.close(held)
        else:
            os.unlink(tmp)
    except BaseException:
        os.close(fd)
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return fd
