# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """A token instead of the key pair: documents CredentialOptions.ACCESS_TOKEN_SPEC (module_utils/_auth_options.py).

    tests/unit/plugins/module_utils/test_option_groups.py holds the two together.
    """

    DOCUMENTATION = r"""
options:
  access_token:
    description:
      - An access token from M(fiskaly.management.fiskaly_token), to reuse one login across many tasks.
      - If not set, the environment variable E(FISKALY_ACCESS_TOKEN) is used.
      - One of O(access_token), or O(api_key) with O(api_secret), is needed. When both are given, the token is used
        first and the key pair only to get a new token once the given one is rejected.
      - Access tokens live minutes. A module that logged in with O(api_key) and O(api_secret) logs in again once
        when its token expires mid-run; a given token that expired fails the task with a message that says so,
        unless a key pair is given too.
      - Never shown in any output.
    type: str
"""
