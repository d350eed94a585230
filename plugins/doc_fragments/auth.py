# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """How the modules authenticate; mirrors AUTH_OPTIONS in module_utils/argument_spec.py."""

    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - The API key that the module logs in with, together with O(api_secret).
      - If not set, the environment variable E(FISKALY_API_KEY) is used.
      - Needed unless O(access_token) is given. When both are given, the token is used first and the key pair
        only to get a new token once the given one is rejected.
    type: str
  api_secret:
    description:
      - The secret of O(api_key).
      - If not set, the environment variable E(FISKALY_API_SECRET) is used.
      - Never shown in any output.
    type: str
  access_token:
    description:
      - An access token from M(fiskaly.management.fiskaly_token), to reuse one login across many tasks.
      - If not set, the environment variable E(FISKALY_ACCESS_TOKEN) is used.
      - Access tokens live minutes. A module that logged in with O(api_key) and O(api_secret) logs in again once
        when its token expires mid-run; a given token that expired fails the task with a message that says so,
        unless a key pair is given too.
      - Never shown in any output.
    type: str
notes:
  - All modules of this collection belong to the action group C(fiskaly.management.fiskaly), so that
    C(module_defaults) with C(group/fiskaly.management.fiskaly) sets these options once for a play.
"""
