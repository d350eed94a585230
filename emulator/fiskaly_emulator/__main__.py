"""Run the emulator with python -m fiskaly_emulator."""
from __future__ import annotations

import sys

from .cli import main

sys.exit(main(prog="python -m fiskaly_emulator"))
