# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An HTTP answer as data, so that faults can drop it after the state changed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, error_body, generic_code, reason


@dataclass
class Reply:
    """Status, body and headers of one answer."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    """Answer with a JSON document; NaN and Infinity are not JSON, and inputs are checked so that none gets here."""
    return Reply(
        status, json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8"), headers=dict(headers or {})
    )


def error_reply(error: ApiError) -> Reply:
    """Answer with the contract's error body."""
    return json_reply(error.status, error.body(), error.headers)


def status_reply(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """Answer a status with its catch-all code."""
    return json_reply(status, error_body(status, generic_code(status), message), headers)


def html_reply(status: int) -> Reply:
    """Answer like a gateway in front of the API: an HTML page instead of JSON."""
    title = f"{status} {reason(status)}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Reply(status, page.encode("ascii"), "text/html")
