# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing a one-time secret to a file that was reserved before the key was created (internal, not a public API).

The file is created exclusively, with mode 0600, *before* the create request: whatever the OS would
refuse (a missing directory, ``missing/..``, a trailing ``/``, a read-only or pseudo file system, an
existing file) fails the run before anything is written. The secret then goes into that file. If that
write fails after all (a full disk), the secret goes to a named fallback file, or, as a last resort,
back to the caller, so that a secret in hand is never thrown away, and no file holding a secret is
ever left unnamed.
"""

from __future__ import annotations

import errno
import os
import tempfile

from .. import _messages as messages
from .._errors import InvalidInput

FALLBACK_PREFIX = "fiskaly-secret-"


def path_errors(option: str, path: str | None) -> list[str]:
    """What is wrong with a path before any request, without touching the file system."""
    if path is None:
        return []
    if not path.strip():
        return [messages.empty_path(option)]
    if any(not character.isprintable() for character in path):
        return [messages.unprintable_path(option, path)]
    if path.endswith(("/", "/.", "/..")) or path in (".", ".."):
        return [messages.path_is_directory(option, path)]
    return []


class Reservation:
    """An empty file of mode 0600 that this run created exclusively, to receive a secret once.

    ``path`` is absolute: a relative one is where the module runs (ansible-playbook's directory with the local
    connection), which is the path that the result and the messages must give.
    """

    def __init__(self, option: str, path: str) -> None:
        self.option = option
        self.path = absolute(path)
        try:
            self._descriptor: int | None = os.open(
                self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600
            )
        except OSError as error:
            shown = self.path if self.path == path else f"{path} ({self.path})"
            raise InvalidInput(_refusal(option, shown, self.path, error)) from None

    def release(self) -> None:
        """No secret came (nothing created, check mode, a failure): remove the empty file."""
        if self._descriptor is None:
            return
        os.close(self._descriptor)
        self._descriptor = None
        _unlink_quietly(self.path)

    def fill(self, content: str) -> tuple[str | None, str | None]:
        """Write ``content``; returns ``(path it is in, why the reserved file could not take it)``.

        The path is the reserved file, or a fallback file when writing that failed; ``(None, reason)``
        when no file could take it: the caller must then return the secret itself.
        """
        descriptor, self._descriptor = self._descriptor, None
        try:
            _write_all(descriptor, content)  # type: ignore[arg-type]  # filled once, as reserved
            return self.path, None
        except OSError as error:
            reason = messages.cannot_write(self.option, self.path, error)
        finally:
            os.close(descriptor)  # type: ignore[arg-type]
        _unlink_quietly(self.path)  # it may hold part of the secret
        return _write_fallback(self.path, content), reason


def reserve(option: str, path: str, *, check_mode: bool = False) -> Reservation | None:
    """Create the file now, so that the run fails before the key is created if it could not hold the secret.

    In check mode the file is removed at once: the dry run fails where the real run would, and leaves nothing.
    """
    reservation = Reservation(option, path)
    if check_mode:
        reservation.release()
        return None
    return reservation


def absolute(path: str) -> str:
    """``path`` from the working directory, not normalized: "missing/.." must stay as the OS walks it."""
    if os.path.isabs(path):
        return path
    try:
        return os.path.join(os.getcwd(), path)
    except OSError:  # the working directory is gone: opening the relative path fails and says so
        return path


def _refusal(option: str, shown: str, path: str, error: OSError) -> str:
    """Why ``path`` (given as ``shown``) could not be created."""
    # As the OS walks it: "missing/.." is no directory, though abspath() would make it one.
    directory = os.path.dirname(path) or "."
    if error.errno == errno.EEXIST:
        return messages.path_exists(option, shown)
    if error.errno == errno.ENOENT and not os.path.isdir(directory):
        return messages.no_directory(option, shown, directory)
    if error.errno in (errno.EISDIR, errno.ENOTDIR):
        return messages.no_file_there(option, shown, error.strerror or str(error))
    return messages.cannot_create(option, shown, error)


def _write_all(descriptor: int, content: str) -> None:
    data = content.encode("utf-8")
    while data:
        written = os.write(descriptor, data)
        data = data[written:]
    os.fsync(descriptor)


def _write_fallback(path: str, content: str) -> str | None:
    """The secret in a new 0600 file beside ``path``, in the temporary directory, or in the home directory."""
    name = os.path.basename(path) + "."
    for directory in dict.fromkeys(
        (os.path.dirname(os.path.abspath(path)), tempfile.gettempdir(), os.path.expanduser("~"))
    ):
        try:
            descriptor, fallback = tempfile.mkstemp(dir=directory, prefix=FALLBACK_PREFIX + name)  # mode 0600
        except OSError:
            continue
        try:
            _write_all(descriptor, content)  # type: ignore[arg-type]  # filled once, as reserved
            return fallback
        except OSError:
            _unlink_quietly(fallback)
        finally:
            os.close(descriptor)
    return None


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
