# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API errors and the one JSON error body shape every failure answers with."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# Codes for statuses that have no more specific meaning (route errors, injected faults).
GENERIC_CODES: dict[int, str] = {
    400: "E_BAD_REQUEST",
    401: "E_UNAUTHORIZED",
    403: "E_FORBIDDEN",
    404: "E_NOT_FOUND",
    405: "E_METHOD_NOT_ALLOWED",
    408: "E_REQUEST_TIMEOUT",
    409: "E_CONFLICT",
    411: "E_LENGTH_REQUIRED",
    413: "E_PAYLOAD_TOO_LARGE",
    414: "E_URI_TOO_LONG",
    429: "E_RATE_LIMITED",
    431: "E_HEADERS_TOO_LARGE",
    500: "E_INTERNAL_SERVER_ERROR",
    501: "E_NOT_IMPLEMENTED",
    502: "E_BAD_GATEWAY",
    503: "E_SERVICE_UNAVAILABLE",
    504: "E_GATEWAY_TIMEOUT",
    505: "E_HTTP_VERSION_NOT_SUPPORTED",
}


def reason(status: int) -> str:
    """Return the HTTP reason phrase of a status code."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Client Error" if status < 500 else "Server Error"


def generic_code(status: int) -> str:
    """Return the catch-all error code of a status."""
    return GENERIC_CODES.get(status, f"E_HTTP_{status}")


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """Build the contract's error body."""
    return {"status_code": status, "error": reason(status), "code": code, "message": message}


class ApiError(Exception):
    """An error answer: status, code, message and optional extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """Return the JSON error body."""
        return error_body(self.status, self.code, self.message)


def bad_request(code: str, message: str) -> ApiError:
    """A 400 answer."""
    return ApiError(400, code, message)


def unauthorized(code: str, message: str) -> ApiError:
    """A 401 answer; the header tells clients a bearer token is the way in."""
    return ApiError(401, code, message, {"WWW-Authenticate": 'Bearer realm="fiskaly-management"'})


def key_not_found(name: str) -> ApiError:
    """A 404 for a key name (already validated, so safe to quote)."""
    return ApiError(404, "E_API_KEY_NOT_FOUND", f"API key '{name}' does not exist")


def key_exists(name: str) -> ApiError:
    """A 409 for a key name that is taken."""
    return ApiError(409, "E_API_KEY_EXISTS", f"API key '{name}' already exists")


def rate_limited(rate_limit: int, retry_after: int) -> ApiError:
    """A 429 of the emulator's rate limit; Retry-After in whole seconds."""
    return ApiError(
        429,
        "E_RATE_LIMITED",
        f"rate limit of {rate_limit} requests per second exceeded; retry after {retry_after} s",
        {"Retry-After": str(retry_after)},
    )
