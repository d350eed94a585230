"""A stateful HTTPS emulator of the fiskaly Management API, for tests and local playbook runs."""
from __future__ import annotations

from .emulator import (DEFAULT_ACCESS_TOKEN_TTL, DEFAULT_API_KEY, DEFAULT_API_SECRET, DEFAULT_READONLY_API_KEY, DEFAULT_READONLY_API_SECRET,
                       DEFAULT_REFRESH_TOKEN_TTL, Emulator)

__all__ = [
    "DEFAULT_ACCESS_TOKEN_TTL",
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "DEFAULT_READONLY_API_KEY",
    "DEFAULT_READONLY_API_SECRET",
    "DEFAULT_REFRESH_TOKEN_TTL",
    "Emulator",
]
