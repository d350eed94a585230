#!/usr/bin/env python
"""Run the fiskaly Management API emulator from a checkout: python3 tools/emulator.py --help."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fiskaly_emulator.cli import main  # pylint: disable=wrong-import-position  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
