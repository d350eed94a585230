# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options that every module of this collection takes (internal to this collection, not a public API).

Documented once, in the ``fiskaly.management.connection`` and ``fiskaly.management.auth`` doc
fragments, which must stay in step with this file (the sanity test validate-modules checks it).
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

DEFAULT_BASE_URL = "https://dashboard.fiskaly.com/api/v0"

AUTH_OPTIONS = {
    "api_key": {"type": "str", "no_log": False, "fallback": (env_fallback, ["FISKALY_API_KEY"])},
    "api_secret": {"type": "str", "no_log": True, "fallback": (env_fallback, ["FISKALY_API_SECRET"])},
    "access_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["FISKALY_ACCESS_TOKEN"])},
}

CONNECTION_OPTIONS = {
    "base_url": {"type": "str", "default": DEFAULT_BASE_URL, "fallback": (env_fallback, ["FISKALY_BASE_URL"])},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path", "fallback": (env_fallback, ["FISKALY_CA_PATH"])},
    "timeout": {"type": "float", "default": 30.0},
    "retries": {"type": "int", "default": 5},
    "retry_deadline": {"type": "float", "default": 60.0},
}

REQUIRED_TOGETHER = [("api_key", "api_secret")]


def common_argument_spec() -> dict:
    """A fresh copy of the shared options, for a module to add its own to."""
    return {name: dict(spec) for name, spec in {**AUTH_OPTIONS, **CONNECTION_OPTIONS}.items()}
