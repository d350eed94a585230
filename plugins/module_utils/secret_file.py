# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a one-time secret to a file once, atomically, readable by its owner only (internal, not a public API)."""

from __future__ import annotations

import os
import tempfile

from .errors import InvalidInput


def check_can_write(option: str, path: str) -> None:
    """Fail before the key is created if its secret could not be written afterwards."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.lexists(path):
        raise InvalidInput(f"{option} {path} already exists, and a secret file is never overwritten: "
                           "move it away or choose another path before a key is created")
    if not os.path.isdir(directory):
        raise InvalidInput(f"{option} {path}: the directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InvalidInput(f"{option} {path}: the directory {directory} is not writable")


def write_once(path: str, content: str) -> str:
    """Write ``content`` to a new file of mode 0600, where a reader sees all of it or no file at all.

    Returns the path written: ``path``, or, if a file appeared there since ``check_can_write``, the
    temporary file beside it, kept rather than lose the secret or overwrite the other file.
    """
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".fiskaly-secret-")  # mode 0600
    _fill(descriptor, content)
    try:
        # link() fails where the path exists: unlike rename(), it never replaces a file.
        os.link(temporary, path)
    except FileExistsError:
        return temporary
    except OSError:
        # A file system without hard links: create the file exclusively instead (not atomic, still never overwriting).
        _fill(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), content)
    os.unlink(temporary)
    return path


def _fill(descriptor: int, content: str) -> None:
    """Write ``content`` to a new file's descriptor and make sure it is on disk before the file is used."""
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
