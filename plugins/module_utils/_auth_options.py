# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The authentication options: their argument spec and their checks (internal to this collection, not a public API).

Documented in the ``fiskaly.management.key_pair`` doc fragment (api_key, api_secret) and the
``fiskaly.management.access_token`` one, which must stay in step with this file (the sanity test
validate-modules checks it). fiskaly_token takes access_token too, so that ``module_defaults`` of the
group can set it for every task, and documents it itself: it ignores it.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

from . import _messages as say

KEY_PAIR_OPTIONS = {
    "api_key": {"type": "str", "no_log": False, "fallback": (env_fallback, ["FISKALY_API_KEY"])},
    "api_secret": {"type": "str", "no_log": True, "fallback": (env_fallback, ["FISKALY_API_SECRET"])},
}
AUTH_OPTIONS = {
    **KEY_PAIR_OPTIONS,
    "access_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["FISKALY_ACCESS_TOKEN"])},
}
REQUIRED_TOGETHER = [("api_key", "api_secret")]

# Options whose values go into headers or bodies verbatim; messages name them, never show them.
CREDENTIAL_OPTIONS = ("api_key", "api_secret", "access_token", "refresh_token")


def credential_errors(params: dict) -> list[str]:
    """Credentials that no header or body could carry as they are."""
    errors = [
        say.unprintable_credential(name)
        for name in CREDENTIAL_OPTIONS
        if params.get(name) and any(character.isspace() or not character.isprintable() for character in params[name])
    ]
    if params.get("access_token") and not params["access_token"].isascii():
        errors.append(say.non_ascii_access_token())
    return errors


def missing_credential_errors(params: dict, alternative: str = "access_token") -> list[str]:
    """Neither ``alternative`` (a token option) nor a key pair."""
    if params.get(alternative) or params.get("api_key"):
        return []
    return [say.missing_credentials(alternative)]
