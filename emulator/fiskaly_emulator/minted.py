# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every secret the emulator hands out: key secrets, access tokens and refresh tokens.

The API shows each of them once, so the emulator remembers them for the tests alone: a test can then
scan what a run printed and what its callbacks received for every secret minted, not only for those
it gave a module. Kept for the emulator's lifetime (a reset of the keys does not forget them), since
an output may still show a secret minted before the reset.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("key_secret", "access_token", "refresh_token")


@dataclass(frozen=True)
class MintedSecret:
    """One secret as handed out: what it is, whose it is (a key name or a token's subject), and the value."""

    kind: str
    owner: str
    value: str


class MintedSecrets:
    """A thread-safe, append-only record of minted secrets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minted: list[MintedSecret] = []

    def record(self, kind: str, owner: str, value: str) -> str:
        """Remember one secret; returns the value, so that minting reads ``value = minted.record(...)``."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of secret {kind!r}")
        with self._lock:
            self._minted.append(MintedSecret(kind, owner, value))
        return value

    def since(self, start: int = 0) -> list[MintedSecret]:
        """The secrets minted from position ``start`` on (0: all of them)."""
        with self._lock:
            return self._minted[start:]

    def __len__(self) -> int:
        with self._lock:
            return len(self._minted)

    def as_json(self, start: int = 0) -> dict[str, Any]:
        return {"count": len(self), "minted": [asdict(secret) for secret in self.since(start)]}
