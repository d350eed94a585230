"""Where Ansible finds this checkout as the collection ``fiskaly.management``.

A checkout inside ``ansible_collections/fiskaly/management`` is used as it is; any other checkout
gets a symlink tree in the temporary directory (outside the checkout, so that no tool walking the
checkout loops through it), that Ansible and Python can import from.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def collections_root() -> Path:
    """A directory that holds ``ansible_collections/fiskaly/management`` pointing at this checkout."""
    if CHECKOUT.parent.name == "fiskaly" and CHECKOUT.parent.parent.name == "ansible_collections":
        return CHECKOUT.parent.parent.parent
    digest = hashlib.sha256(str(CHECKOUT).encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"fiskaly-management-collections-{digest}"
    link = root / "ansible_collections" / "fiskaly" / "management"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(CHECKOUT, target_is_directory=True)
        except FileExistsError:  # another pytest worker made it first
            pass
    return root
