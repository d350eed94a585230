# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where Ansible finds this checkout as the collection ``fiskaly.management``.

The root that the test runner (noxfile.py) exported: the entry of ``ANSIBLE_COLLECTIONS_PATH`` that holds
``ansible_collections/fiskaly/management`` as this very checkout (a path that holds another copy of the collection,
an installed one say, does not count). Without one (pytest run by hand), the checkout's own place when it lies at
``.../ansible_collections/fiskaly/management``, else a symlink to it in the temporary directory, named as
noxfile.py names it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]


@functools.cache
def collections_root() -> Path:
    """A directory that holds ``ansible_collections/fiskaly/management`` pointing at this checkout."""
    for entry in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        if entry and (Path(entry) / "ansible_collections" / "fiskaly" / "management").resolve() == CHECKOUT:
            return Path(entry)
    if (
        CHECKOUT.parent.name == "fiskaly"
        and CHECKOUT.parent.parent.name == "ansible_collections"
        and CHECKOUT.name == "management"
    ):
        return CHECKOUT.parents[2]
    base = (
        Path(tempfile.gettempdir())
        / f"fiskaly-management-collections-{hashlib.sha256(str(CHECKOUT).encode()).hexdigest()[:12]}"
    )
    link = base / "ansible_collections" / "fiskaly" / "management"
    if not (link.is_symlink() and link.resolve() == CHECKOUT):
        link.parent.mkdir(parents=True, exist_ok=True)
        # Replaced atomically: concurrent pytest workers never see it missing.
        tmp = link.with_name(f"management.{os.getpid()}")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(CHECKOUT)
        tmp.replace(link)
    return base


def import_from_collection() -> None:
    """Let ``import ansible_collections.fiskaly.management...`` find this checkout, the way ansible-core and
    ansible-test units do: with ansible-core's collection finder over the staged root, not a ``sys.path`` edit."""
    # pylint: disable-next=import-outside-toplevel  # ansible-core is only needed by the tests that call this
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=[str(collections_root())])._install()  # pylint: disable=protected-access
