# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A requests adapter whose retry policy belongs to the thread that sends (internal, not a public API).

requests takes the policy from the adapter, shared by every thread of the Session; each request has a
policy of its own (its time budget, its attempt clock, its place among the requests in flight), so each
thread sets its own.
"""

from __future__ import annotations

import threading

try:
    from requests.adapters import HTTPAdapter
except ImportError:  # reported by the module through missing_required_lib
    HTTPAdapter = object


class PerThreadRetryAdapter(HTTPAdapter):
    """``max_retries`` as each thread set it; a thread that set none gets the policy given when the adapter was made."""

    def __init__(self, *args, **kwargs):
        self._local = threading.local()
        self._shared_policy = None
        super().__init__(*args, **kwargs)

    @property
    def max_retries(self):
        return getattr(self._local, "policy", self._shared_policy)

    @max_retries.setter
    def max_retries(self, policy):
        if self._shared_policy is None:
            self._shared_policy = policy
        self._local.policy = policy
