# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Attributes that every module of this collection shares; each module states its support."""

    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/fiskaly.management.fiskaly) in C(module_defaults) to set the connection and authentication
      options once.
    support: full
    membership:
      - fiskaly.management.fiskaly
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying the API's state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff
      mode.
  platform:
    description: Runs on any host that reaches the API over HTTPS and has the Python library C(requests).
    support: full
    platforms: all
"""
