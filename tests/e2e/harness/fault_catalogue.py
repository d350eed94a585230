# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The faults that the client must survive, and where each method sends them, shared by the fault
tests and the property-based convergence test."""

from __future__ import annotations


def retryable_faults(read_timeout_delay: float) -> dict[str, dict]:
    """Each retryable fault kind by name; the delay must outlast the ``timeout`` the test gives the module."""
    return {
        "429 with Retry-After": {"status": 429, "retry_after": 1},
        "429 without Retry-After": {"status": 429},
        "500": {"status": 500},
        "502 HTML page": {"status": 502, "html": True},
        "503": {"status": 503},
        "504": {"status": 504},
        "dropped connection": {"drop": True},
        "delay beyond timeout": {"delay": read_timeout_delay},
    }


def fault_targets(name: str) -> dict[str, str]:
    """The path each method takes when the module manages the key ``name``."""
    return {"POST": "/auth", "GET": f"/api_keys/{name}", "PUT": f"/api_keys/{name}", "PATCH": f"/api_keys/{name}"}
