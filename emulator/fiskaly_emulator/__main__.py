# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the emulator with python -m fiskaly_emulator."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main(prog="python -m fiskaly_emulator"))
