# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options as one group: their argument spec and their checks (internal, not a public API).

Documented once, in the ``fiskaly.management.connection`` doc fragment, which must stay in step with
this group (tests/unit/plugins/module_utils/test_option_groups.py and validate-modules check it).
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from . import _messages as messages
from ._http.environment import ca_bundle_from_environment, proxy_from_environment, proxy_url_error
from ._http.routes import API_VERSIONS, AUTO, DRAFT, V012

# An organisation's id, as every source shows it: a UUID.
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class ConnectionOptions:
    """Where and how a module reaches the API: base_url, TLS, timeouts, retries and concurrency."""

    DEFAULT_BASE_URL = "https://dashboard.fiskaly.com/api/v0"

    ARGUMENT_SPEC: ClassVar[dict[str, dict[str, Any]]] = {
        "base_url": {"type": "str", "default": DEFAULT_BASE_URL, "fallback": (env_fallback, ["FISKALY_BASE_URL"])},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path", "fallback": (env_fallback, ["FISKALY_CA_PATH"])},
        "timeout": {"type": "float", "default": 30.0},
        "retries": {"type": "int", "default": 5},
        "retry_deadline": {"type": "float", "default": 60.0},
        "max_concurrent_requests": {"type": "int", "default": 10},
        "api_version": {
            "type": "str",
            "choices": list(API_VERSIONS),
            "default": AUTO,
            "fallback": (env_fallback, ["FISKALY_API_VERSION"]),
        },
        "organization_id": {"type": "str", "fallback": (env_fallback, ["FISKALY_ORGANIZATION_ID"])},
    }
    REQUIRED_TOGETHER: ClassVar[tuple[tuple[str, ...], ...]] = ()
    MUTUALLY_EXCLUSIVE: ClassVar[tuple[tuple[str, ...], ...]] = ()

    # The ranges of the numeric options, as the connection doc fragment states them.
    MAX_TIMEOUT = 3600
    MAX_RETRIES = 100
    MAX_RETRY_DEADLINE = 86400
    MAX_CONCURRENT_REQUESTS = 100

    def argument_spec(self) -> dict[str, dict[str, Any]]:
        """A copy of the spec, for an AnsibleModule to own."""
        return {name: dict(spec) for name, spec in self.ARGUMENT_SPEC.items()}

    def errors(self, params: dict[str, Any]) -> list[str]:
        """Every rule of the group that Ansible's argument spec cannot express: the values, then the environment."""
        return self.value_errors(params) + self.environment_errors(params)

    def missing(self, params: dict[str, Any]) -> list[str]:
        """Every option of the group has a default or may stay unset."""
        return []

    def warnings(self, params: dict[str, Any]) -> list[str]:
        return [] if params["validate_certs"] else [messages.INSECURE_WARNING]

    def hide_in_echo(self, params: dict[str, Any]) -> None:
        """At -vvv the result echoes every option: not the parts of base_url that no_log knows nothing of."""
        params["base_url"] = self.shown_base_url(params["base_url"])

    def value_errors(self, params: dict[str, Any]) -> list[str]:
        """Rules on the values of the options that Ansible's argument spec cannot express."""
        errors = []
        ca_path = params["ca_path"]
        if ca_path and not os.path.isfile(ca_path):
            # Unused without verification, but a path that is wrong is a mistake either way, and a certificate check
            # that was meant to be on (the CA got lost) must not pass unnoticed.
            unverified = not params["validate_certs"]
            errors.append(
                messages.ca_path_no_file_unverified(ca_path) if unverified else messages.ca_path_no_file(ca_path)
            )
        errors += self.base_url_errors(params["base_url"])
        # "inf" and "nan" pass as floats, and nan passes every comparison: each rule says what it takes, finite first.
        if not (math.isfinite(params["timeout"]) and 0 < params["timeout"] <= self.MAX_TIMEOUT):
            errors.append(messages.timeout_out_of_range(self.MAX_TIMEOUT, params["timeout"]))
        if not 0 <= params["retries"] <= self.MAX_RETRIES:
            errors.append(messages.retries_out_of_range(self.MAX_RETRIES, params["retries"]))
        deadline = params["retry_deadline"]
        if not (math.isfinite(deadline) and 0 <= deadline <= self.MAX_RETRY_DEADLINE):
            errors.append(messages.retry_deadline_out_of_range(self.MAX_RETRY_DEADLINE, deadline))
        if not 1 <= params["max_concurrent_requests"] <= self.MAX_CONCURRENT_REQUESTS:
            errors.append(
                messages.concurrency_out_of_range(self.MAX_CONCURRENT_REQUESTS, params["max_concurrent_requests"])
            )
        errors += self.version_errors(params)
        return errors

    @staticmethod
    def version_errors(params: dict[str, Any]) -> list[str]:
        """organization_id: a UUID, and only where the version can have one."""
        organization, version = params["organization_id"], params["api_version"]
        if organization is None:
            if version == V012 and params.get("access_token") and not params.get("api_key"):
                return [messages.NO_ORGANIZATION_WITHOUT_LOGIN]
            return []
        if not UUID_PATTERN.fullmatch(organization):
            return [messages.organization_not_uuid(organization)]
        if version == DRAFT:
            return [messages.organization_on_draft(False)]
        return []

    def environment_errors(self, params: dict[str, Any]) -> list[str]:
        """Environment variables that requests reads and that would fail every request of the run."""
        errors = []
        source = ca_bundle_from_environment() if params["validate_certs"] and not params["ca_path"] else None
        if source and not os.path.exists(source[1]):
            errors.append(messages.missing_ca_bundle(*source))
        base_url = params["base_url"]
        proxy = proxy_from_environment(base_url.rstrip("/") + "/") if not self.base_url_errors(base_url) else None
        problem = proxy_url_error(proxy[2]) if proxy else None
        if proxy and problem:
            errors.append(messages.unusable_proxy(proxy[0], problem))
        return errors

    @staticmethod
    def base_url_errors(base_url: str) -> list[str]:
        """The shapes of base_url that would reach the wrong place, or send a credential the user never meant to."""
        try:
            parts = urlsplit(base_url)
        except ValueError:  # an unbalanced "[" of an IPv6 address, say
            return [messages.BASE_URL_INVALID]
        if parts.username is not None or parts.password is not None:
            return [messages.BASE_URL_USER_INFORMATION]
        shown = ConnectionOptions.shown_base_url(base_url)
        if any(character.isspace() or not character.isprintable() for character in base_url):
            return [messages.base_url_unprintable(shown)]
        try:
            # Raises on a port that is no number or out of range.
            parts.port  # noqa: B018  # pylint: disable=pointless-statement
        except ValueError:
            return [messages.base_url_bad_port(shown)]
        errors = []
        if parts.scheme.lower() != "https" or not parts.netloc:
            errors.append(messages.base_url_not_https(shown))
        if parts.query or parts.fragment or base_url.endswith(("?", "#")):
            errors.append(messages.base_url_query(shown))
        return errors

    @staticmethod
    def shown_base_url(base_url: str) -> str:
        """base_url as a message or the invocation may show it: without user information, query string or fragment,
        where a user may have put a password or a token."""
        shown = base_url.split("?", 1)[0].split("#", 1)[0] + ("?..." if "?" in base_url or "#" in base_url else "")
        scheme, separator, rest = shown.partition("://")
        if not separator:
            return shown
        host, slash, path = rest.partition("/")
        return f"{scheme}{separator}{'...@' if '@' in host else ''}{host.rpartition('@')[2]}{slash}{path}"
