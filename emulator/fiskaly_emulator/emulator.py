# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Emulator: the state and its Python API (state.py), served by one HTTPS server (server.py) in a background
thread."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

from .server import API_PREFIX, EmulatorHTTPServer
from .state import (
    API_VERSION_DRAFT,
    DEFAULT_ACCESS_TOKEN_TTL,
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    DEFAULT_READONLY_API_KEY,
    DEFAULT_READONLY_API_SECRET,
    DEFAULT_REFRESH_TOKEN_TTL,
    EmulatorState,
)
from .tls import make_server_context


def is_loopback(host: str) -> bool:
    """Tell whether a host name or address is loopback only; the admin API has no authentication."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Emulator(EmulatorState):  # pylint: disable=too-many-instance-attributes
    """A stateful HTTPS emulator of the fiskaly Management API."""

    def __init__(  # pylint: disable=too-many-arguments
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_dir: str | Path | None = None,
        access_token_ttl: int = DEFAULT_ACCESS_TOKEN_TTL,
        refresh_token_ttl: int = DEFAULT_REFRESH_TOKEN_TTL,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        readonly_api_key: str = DEFAULT_READONLY_API_KEY,
        readonly_api_secret: str = DEFAULT_READONLY_API_SECRET,
        verbose: bool = False,
        latency: float = 0.0,
        rate_limit: int | None = None,
        api_version: str = API_VERSION_DRAFT,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"refusing to listen on non-loopback host {host!r}: the admin API has no authentication")
        super().__init__(
            access_token_ttl,
            refresh_token_ttl,
            api_key=api_key,
            api_secret=api_secret,
            readonly_api_key=readonly_api_key,
            readonly_api_secret=readonly_api_secret,
            latency=latency,
            rate_limit=rate_limit,
            api_version=api_version,
        )
        self.host = host
        self._requested_port = port
        # Absolute, as the CA's path is handed to clients that may run elsewhere (an env file sourced in another
        # directory).
        self._tls_dir = Path(os.path.abspath(tls_dir)) if tls_dir is not None else None
        self.verbose = verbose
        self._httpd: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._own_tls_dir: str | None = None
        self._ca_path: Path | None = None
        self._ca_lock: int | None = None
        self._created_at = time.monotonic()

    # Life cycle

    def start(self) -> Emulator:
        """Create TLS material, bind and serve in a daemon thread; return self."""
        if self._httpd is not None:
            raise RuntimeError("emulator already started")
        if self._tls_dir is None:
            self._own_tls_dir = tempfile.mkdtemp(prefix="fiskaly-emulator-tls-")
        tls_dir = self._tls_dir or Path(str(self._own_tls_dir))
        try:
            context, self._ca_path, self._ca_lock = make_server_context(tls_dir, self.host)
        except BaseException:
            self.stop()
            raise
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            self._httpd = EmulatorHTTPServer(
                (self.host, self._requested_port), family, context, self, verbose=self.verbose
            )
        except OSError as exc:
            self.stop()
            # "[Errno 98] Address already in use" alone does not say which address.
            raise OSError(
                exc.errno, f"cannot listen on {self.host} port {self._requested_port}: {exc.strerror or exc}"
            ) from None
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="fiskaly-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (and the TLS directory when it was a temporary one)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._ca_lock is not None:
            os.close(self._ca_lock)  # another emulator may take this --tls-dir now
            self._ca_lock = None
        if self._own_tls_dir is not None:
            shutil.rmtree(self._own_tls_dir, ignore_errors=True)
            self._own_tls_dir = None

    def __enter__(self) -> Emulator:
        return self if self._httpd is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Where to reach it

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("emulator not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. https://127.0.0.1:8443/api/v0."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}{API_PREFIX}"

    @property
    def ca_path(self) -> str:
        """Path of the CA PEM that clients pass as ca_path/verify."""
        if self._ca_path is None:
            raise RuntimeError("emulator not started")
        return str(self._ca_path)

    @property
    def last_request_at(self) -> float:
        """When a connection last came in (time.monotonic()), or when the emulator was made: for --idle-exit."""
        return self._httpd.last_request_at if self._httpd is not None else self._created_at
