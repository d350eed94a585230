# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stateful HTTPS emulator of the fiskaly Management API, for tests and local playbook runs."""

from __future__ import annotations

from .emulator import Emulator
from .state import (
    DEFAULT_ACCESS_TOKEN_TTL,
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_READONLY_API_KEY,
    DEFAULT_READONLY_API_SECRET,
    DEFAULT_REFRESH_TOKEN_TTL,
)

__all__ = [
    "DEFAULT_ACCESS_TOKEN_TTL",
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "DEFAULT_READONLY_API_KEY",
    "DEFAULT_READONLY_API_SECRET",
    "DEFAULT_REFRESH_TOKEN_TTL",
    "Emulator",
]
