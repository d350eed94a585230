# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scripted faults for the next requests that match a method and a path."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from typing import Any

_KEYS = (
    "status",
    "retry_after",
    "retry_after_raw",
    "html",
    "body",
    "drop",
    "delay",
    "lose_response",
    "trickle",
    "trickle_bytes",
    "trickle_from",
)
MAX_DELAY = 600.0
# Retry-After is delay-seconds, a non-negative integer (RFC 9110); anything else is what retry_after_raw is for.
MAX_RETRY_AFTER = 86400
# The methods the server answers; a fault for any other could never be consumed.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
MAX_TRICKLE_PAUSE = 60.0
MAX_TRICKLE_BYTES = 65536
TRICKLE_FROM = ("head", "body")
_ABSENT = object()


@dataclass(frozen=True)
class Fault:
    """One scripted answer; delay may precede any other kind, and trickle sends any answer slowly."""

    status: int | None = None
    retry_after: int | None = None
    retry_after_raw: str | None = None
    html: bool = False
    body: Any = _ABSENT
    drop: bool = False
    delay: float = 0.0
    lose_response: bool = False
    trickle: float = 0.0
    trickle_bytes: int = 1
    trickle_from: str = "head"
    spec: tuple[tuple[str, Any], ...] = ()

    @property
    def has_body(self) -> bool:
        """Whether the answer's body is replaced by a given JSON value."""
        return self.body is not _ABSENT

    def as_dict(self) -> dict[str, Any]:
        """Return the fault as it was given."""
        return dict(self.spec)


def _number(value: Any, name: str, high: float) -> float:
    # NaN passes every comparison, so finiteness comes first.
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 <= value <= high
    ):
        raise ValueError(f"fault '{name}' must be a number >= 0 and <= {high:g}")
    return value


def _retry_after(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETRY_AFTER:
        raise ValueError(
            f"fault 'retry_after' must be an integer number of seconds 0..{MAX_RETRY_AFTER}, as Retry-After "
            "carries them; send any other value with 'retry_after_raw'"
        )
    return value


def _json_value(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ValueError("fault 'body' must be a JSON value (finite numbers only)") from None
    return value


def check_method(value: Any, name: str) -> str:
    """An HTTP method that the server answers, or '*'; upper-cased."""
    if not isinstance(value, str) or value.upper() not in (*METHODS, "*"):
        raise ValueError(f"'{name}' must be one of {', '.join(METHODS)} or '*' (any)")
    return value.upper()


def check_path(value: Any) -> str:
    """A request path relative to /api/v0, exact or a prefix ending in '*', that a request can have."""
    hint = "relative to /api/v0, e.g. '/api_keys' or '/api_keys/*'"
    if not isinstance(value, str) or not value.startswith("/"):
        raise ValueError(f"'path' must start with '/', {hint}")
    if value == "/api/v0" or value.startswith("/api/v0/"):
        raise ValueError(f"'path' is {hint}: leave out /api/v0")
    if (
        "*" in value[:-1]
        or any(character in value for character in "?#")
        or any(character.isspace() or not character.isprintable() for character in value)
    ):
        raise ValueError(
            f"'path' is a path without query, white space or control characters, with '*' only at its end: {hint}"
        )
    return value


def _header_value(value: Any, name: str) -> str:
    # Sent as it is, but never a second header: no line break or other control character.
    if not isinstance(value, str) or any(
        ord(character) > 255 or (ord(character) < 32 and character != "\t") or character == "\x7f"
        for character in value
    ):
        raise ValueError(f"fault '{name}' must be a string of Latin-1 characters without control characters")
    return value


def _trickle(spec: dict[str, Any]) -> tuple[float, int, str]:
    if "trickle" not in spec:
        if "trickle_bytes" in spec or "trickle_from" in spec:
            raise ValueError("fault 'trickle_bytes' and 'trickle_from' need a 'trickle'")
        return 0.0, 1, "head"
    pause = _number(spec["trickle"], "trickle", MAX_TRICKLE_PAUSE)
    if pause <= 0:
        raise ValueError(f"fault 'trickle' must be a number > 0 and <= {MAX_TRICKLE_PAUSE:g}")
    size = spec.get("trickle_bytes", 1)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_TRICKLE_BYTES:
        raise ValueError(f"fault 'trickle_bytes' must be an integer 1..{MAX_TRICKLE_BYTES}")
    start = spec.get("trickle_from", "head")
    if start not in TRICKLE_FROM:
        raise ValueError(f"fault 'trickle_from' must be one of: {', '.join(TRICKLE_FROM)}")
    return pause, size, start


def parse_fault(spec: Any) -> Fault:
    """Validate a fault dict such as {"status": 503, "retry_after": 2}; raise ValueError."""
    if not isinstance(spec, dict) or not spec:
        raise ValueError("a fault must be a non-empty object")
    unknown = [name for name in spec if name not in _KEYS]
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(sorted(map(str, unknown)))}; allowed: {', '.join(_KEYS)}")
    kinds = [name for name in ("status", "drop", "lose_response") if name in spec]
    if len(kinds) > 1:
        raise ValueError("a fault is one of status, drop or lose_response (delay may accompany any)")
    status = spec.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599):
        raise ValueError("fault 'status' must be an integer 400..599")
    if ("retry_after" in spec or "retry_after_raw" in spec or "html" in spec) and status is None:
        raise ValueError("fault 'retry_after', 'retry_after_raw' and 'html' need a 'status'")
    if "retry_after" in spec and "retry_after_raw" in spec:
        raise ValueError("fault 'retry_after' and 'retry_after_raw' exclude each other")
    for flag in ("html", "drop", "lose_response"):
        if flag in spec and not isinstance(spec[flag], bool):
            raise ValueError(f"fault '{flag}' must be a boolean")
    if "body" in spec and (spec.get("html") or "drop" in spec or "lose_response" in spec):
        raise ValueError("fault 'body' is the body of an answer: it goes with neither html, drop nor lose_response")
    if "trickle" in spec and ("drop" in spec or "lose_response" in spec):
        raise ValueError("fault 'trickle' sends an answer slowly: it goes with neither drop nor lose_response")
    if (
        spec.get("drop") is False
        or spec.get("lose_response") is False
        or (not kinds and not any(name in spec for name in ("delay", "body", "trickle")))
    ):
        raise ValueError("a fault needs a status, drop: true, lose_response: true, a body, a trickle or a delay")
    trickle, trickle_bytes, trickle_from = _trickle(spec)
    return Fault(
        status=status,
        retry_after=_retry_after(spec["retry_after"]) if "retry_after" in spec else None,
        retry_after_raw=_header_value(spec["retry_after_raw"], "retry_after_raw")
        if "retry_after_raw" in spec
        else None,
        html=bool(spec.get("html", False)),
        body=_json_value(spec["body"]) if "body" in spec else _ABSENT,
        drop=bool(spec.get("drop", False)),
        delay=_number(spec.get("delay", 0), "delay", MAX_DELAY),
        lose_response=bool(spec.get("lose_response", False)),
        trickle=trickle,
        trickle_bytes=trickle_bytes,
        trickle_from=trickle_from,
        spec=tuple(spec.items()),
    )


def _matches(pattern: str, path: str) -> bool:
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


class FaultQueue:
    """Faults in injection order; each matching request consumes the first one that matches it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[tuple[str, str, Fault]] = []

    def inject(self, method: str, path: str, specs: list[Any]) -> int:
        """Queue faults for a method ('*' for any) and a path relative to /api/v0 (exact, or a prefix ending in '*')."""
        method = check_method(method, "method")
        path = check_path(path)
        if not isinstance(specs, list) or not specs:
            raise ValueError("'faults' must be a non-empty list")
        faults = []
        for index, spec in enumerate(specs):
            try:
                faults.append(parse_fault(spec))
            except ValueError as exc:
                raise ValueError(f"faults[{index}]: {exc}") from None
        with self._lock:
            self._queue.extend((method, path, fault) for fault in faults)
        return len(faults)

    def take(self, method: str, path: str) -> Fault | None:
        """Consume and return the first fault that matches this request, if any."""
        with self._lock:
            if not self._queue:
                return None
            for index, (want_method, pattern, fault) in enumerate(self._queue):
                if want_method in ("*", method) and _matches(pattern, path):
                    del self._queue[index]
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """Return the faults not yet consumed."""
        with self._lock:
            return [{"method": method, "path": path, "fault": fault.as_dict()} for method, path, fault in self._queue]

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._queue.clear()
