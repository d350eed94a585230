"""Make ``ansible_collections.fiskaly.management`` importable from the checkout, wherever it lies."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for collection_path

# pylint: disable-next=wrong-import-position
from collection_path import collections_root

sys.path.insert(0, str(collections_root()))
