# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The authentication options as groups: their argument spec and their checks (internal, not a public API).

Documented in the ``fiskaly.management.key_pair`` doc fragment (api_key, api_secret) and the
``fiskaly.management.access_token`` one, which must stay in step with these groups
(tests/unit/plugins/module_utils/test_option_groups.py and validate-modules check it). fiskaly_token takes
access_token too, so that ``module_defaults`` of the group can set it for every task, and documents it
itself: it ignores it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ansible.module_utils.basic import env_fallback

from . import _messages as messages


class CredentialOptions:
    """The key pair and an access token, as every module takes them, with the checks of their values.

    Requires neither: see ``AuthOptions`` for the modules that use them, ``RefreshTokenOptions`` for fiskaly_token.
    """

    KEY_PAIR_SPEC: ClassVar[dict[str, dict[str, Any]]] = {
        "api_key": {"type": "str", "no_log": False, "fallback": (env_fallback, ["FISKALY_API_KEY"])},
        "api_secret": {"type": "str", "no_log": True, "fallback": (env_fallback, ["FISKALY_API_SECRET"])},
    }
    ACCESS_TOKEN_SPEC: ClassVar[dict[str, dict[str, Any]]] = {
        "access_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["FISKALY_ACCESS_TOKEN"])},
    }
    ARGUMENT_SPEC: ClassVar[dict[str, dict[str, Any]]] = {**KEY_PAIR_SPEC, **ACCESS_TOKEN_SPEC}
    REQUIRED_TOGETHER: ClassVar[tuple[tuple[str, ...], ...]] = (("api_key", "api_secret"),)
    MUTUALLY_EXCLUSIVE: ClassVar[tuple[tuple[str, ...], ...]] = ()
    # Options whose values go into headers or bodies verbatim; messages name them, never show them. refresh_token is
    # RefreshTokenOptions' option, checked here all the same: its value errors come with the others, in one message
    # and in the order they always came, before what RefreshTokenOptions finds missing.
    CREDENTIALS: ClassVar[tuple[str, ...]] = ("api_key", "api_secret", "access_token", "refresh_token")

    def argument_spec(self) -> dict[str, dict[str, Any]]:
        """A copy of the spec, for an AnsibleModule to own."""
        return {name: dict(spec) for name, spec in self.ARGUMENT_SPEC.items()}

    def errors(self, params: dict[str, Any]) -> list[str]:
        """Credentials that no header or body could carry as they are (a module's own refresh_token included)."""
        errors = [
            messages.unprintable_credential(name)
            for name in self.CREDENTIALS
            if params.get(name) and any(char.isspace() or not char.isprintable() for char in params[name])
        ]
        if params.get("access_token") and not params["access_token"].isascii():
            errors.append(messages.non_ascii_access_token())
        return errors

    def missing(self, params: dict[str, Any]) -> list[str]:
        return []

    def warnings(self, params: dict[str, Any]) -> list[str]:
        return []

    def hide_in_echo(self, params: dict[str, Any]) -> None:
        """no_log hides every credential already."""

    @staticmethod
    def token_or_key_pair_missing(params: dict[str, Any], token: str) -> list[str]:
        """Neither ``token`` (the option that stands in for the key pair) nor a key pair."""
        if params.get(token) or params.get("api_key"):
            return []
        return [messages.missing_credentials(token)]


class AuthOptions(CredentialOptions):
    """The credentials of the modules that call the API: access_token, or api_key with api_secret."""

    def missing(self, params: dict[str, Any]) -> list[str]:
        return self.token_or_key_pair_missing(params, "access_token")


class RefreshTokenOptions:
    """fiskaly_token's own option: a refresh token that logs in instead of api_key with api_secret.

    The module documents it itself. One of the two is its rule, checked once the shared groups found nothing.
    """

    ARGUMENT_SPEC: ClassVar[dict[str, dict[str, Any]]] = {"refresh_token": {"type": "str", "no_log": True}}
    REQUIRED_TOGETHER: ClassVar[tuple[tuple[str, ...], ...]] = ()
    MUTUALLY_EXCLUSIVE: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def argument_spec(self) -> dict[str, dict[str, Any]]:
        """A copy of the spec, for an AnsibleModule to own."""
        return {name: dict(spec) for name, spec in self.ARGUMENT_SPEC.items()}

    def errors(self, params: dict[str, Any]) -> list[str]:
        """Its value is checked with the other credentials (``CredentialOptions.errors``), in their order."""
        return []

    def missing(self, params: dict[str, Any]) -> list[str]:
        return CredentialOptions.token_or_key_pair_missing(params, "refresh_token")

    def warnings(self, params: dict[str, Any]) -> list[str]:
        return []

    def hide_in_echo(self, params: dict[str, Any]) -> None:
        """no_log hides it already."""
