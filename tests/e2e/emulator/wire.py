# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTPS calls to the emulator and checks of its error bodies, shared by the emulator's tests."""

from __future__ import annotations

from typing import Any

import requests

from fiskaly_emulator import Emulator

# A value that must never come back in an answer, whatever the request did with it.
SECRET_LIKE = "s3cr3t-value-that-must-never-be-echoed"


def call(emu: Emulator, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
    """One request; verify= per request, as REQUESTS_CA_BUNDLE would override a Session's."""
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    kwargs.setdefault("timeout", 10)
    return requests.request(method, emu.base_url + path, headers=headers, verify=emu.ca_path, **kwargs)


def assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The answer is the contract's error body for that status and code."""
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"status_code", "error", "code", "message"}
    assert body["status_code"] == status and body["code"] == code and body["message"]
    assert body["error"] == response.reason
    assert response.headers["Content-Type"] == "application/json"
    return body


def untimed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request log entries without their "started" and "finished" times, to compare with literal ones."""
    return [{name: value for name, value in entry.items() if name not in ("started", "finished")} for entry in entries]
