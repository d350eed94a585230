# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The key pair the modules log in with: documents CredentialOptions.KEY_PAIR_SPEC (module_utils/_auth_options.py).

    tests/unit/plugins/module_utils/test_option_groups.py holds the two together.
    """

    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - The API key that the module logs in with, together with O(api_secret).
      - If not set, the environment variable E(FISKALY_API_KEY) is used.
    type: str
  api_secret:
    description:
      - The secret of O(api_key).
      - If not set, the environment variable E(FISKALY_API_SECRET) is used.
      - Never shown in any output.
    type: str
notes:
  - All modules of this collection belong to the action group C(fiskaly.management.fiskaly), so that
    C(module_defaults) with C(group/fiskaly.management.fiskaly) sets these options once for a play.
"""
