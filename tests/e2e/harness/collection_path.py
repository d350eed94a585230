# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where Ansible finds this checkout as the collection ``fiskaly.management``.

``tools/stage-collection.sh`` is the one place that stages it; this only asks it, or takes the root that the
test runner exported: the entry of ``ANSIBLE_COLLECTIONS_PATH`` that holds ``ansible_collections/fiskaly/management``
as this very checkout (a path that holds another copy of the collection, an installed one say, does not count).
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]
STAGE = CHECKOUT / "tools" / "stage-collection.sh"


@functools.cache
def collections_root() -> Path:
    """A directory that holds ``ansible_collections/fiskaly/management`` pointing at this checkout."""
    for entry in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        if entry and (Path(entry) / "ansible_collections" / "fiskaly" / "management").resolve() == CHECKOUT:
            return Path(entry)
    done = subprocess.run(["bash", str(STAGE)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{STAGE} failed (rc {done.returncode}): {done.stderr.strip()}")
    return Path(done.stdout.strip())


def import_from_collection() -> None:
    """Let ``import ansible_collections.fiskaly.management...`` find this checkout, the way ansible-core and
    ansible-test units do: with ansible-core's collection finder over the staged root, not a ``sys.path`` edit."""
    # pylint: disable-next=import-outside-toplevel  # ansible-core is only needed by the tests that call this
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=[str(collections_root())])._install()  # pylint: disable=protected-access
