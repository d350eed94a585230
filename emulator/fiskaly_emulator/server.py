# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTPS transport: TLS per connection, keep-alive, request bodies, faults, the request log and handler timing."""

from __future__ import annotations

import re
import socket
import ssl
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from .admin import PREFIX as ADMIN_PREFIX
from .admin import AdminApi
from .api import Request
from .errors import ApiError, generic_code, rate_limited, reason
from .faults import Fault
from .network import Admission
from .reply import Reply, error_reply, html_reply, json_reply, status_reply
from .state import EmulatorState

API_PREFIX = "/api/v0"
MAX_BODY = 1024 * 1024
MAX_DRAIN = 16 * MAX_BODY
# Idle keep-alive connections and stalled TLS handshakes give their thread back after this.
IDLE_TIMEOUT = 30.0


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that wraps each accepted socket in TLS inside its own thread, and answers the API and
    the admin API from one emulator's state."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        family: socket.AddressFamily,
        context: ssl.SSLContext,
        state: EmulatorState,
        *,
        verbose: bool = False,
    ) -> None:
        self.address_family = family
        self.ssl_context = context
        self.state = state
        self.admin = AdminApi(state)
        # Print one line per API request to stderr.
        self.verbose = verbose
        # When a connection last came in (time.monotonic()), for the command line's --idle-exit.
        self.last_request_at = time.monotonic()
        super().__init__(address, RequestHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Do the TLS handshake here, not in the accept loop, so a slow client cannot stall the listener."""
        self.last_request_at = time.monotonic()
        request.settimeout(IDLE_TIMEOUT)
        try:
            connection = self.ssl_context.wrap_socket(request, server_side=True)
        except OSError:
            return
        try:
            RequestHandler(connection, client_address, self)
        finally:
            connection.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that go away; report real bugs."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class RequestHandler(BaseHTTPRequestHandler):
    """Reads one request at a time off a keep-alive connection and answers it."""

    protocol_version = "HTTP/1.1"
    server_version = "fiskaly-management-emulator/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: EmulatorHTTPServer
    _started = 0.0
    _arrived = 0.0

    def parse_request(self) -> bool:
        """Start the handler clock once the request line is read: its arrival, for the rate limit and the request
        log."""
        self._started = time.thread_time()
        self._arrived = time.monotonic()
        return super().parse_request()

    def _handler_seconds(self) -> float:
        """The CPU time this request's thread spent on it: no latency, delay or trickle sleep, and no wait for the
        other requests answered at the same time (they share one interpreter lock), so the figure is the emulator's
        own cost."""
        return time.thread_time() - self._started

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Keep stderr clean; the request log is the record."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer protocol errors found by http.server with the JSON error body too."""
        self.close_connection = True
        self._write(status_reply(code, message or reason(code)))

    def do_GET(self) -> None:  # pylint: disable=invalid-name  # http.server looks methods up by this name
        """Dispatch any method the same way; routing decides what is allowed."""
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        inside = url.path == API_PREFIX or url.path.startswith(API_PREFIX + "/")
        # The token goes at arrival, before the body is read: a gateway counts requests as they come in.
        admission = self.server.state.network.admit() if inside else None
        try:
            body = self._read_body()
        except ApiError as exc:
            self.close_connection = True
            if admission is not None:
                time.sleep(admission.latency)
            self._write(error_reply(exc))
            return
        if url.path.startswith(ADMIN_PREFIX):
            self._write(self._run(lambda: self.server.admin.handle(self.command, url.path, query, body)))
            return
        path = url.path[len(API_PREFIX) :] if inside else url.path
        # A rate-limited request never reaches the API, so it consumes no fault either.
        admitted = admission is None or admission.retry_after is None
        fault = self.server.state.faults.take(self.command, path) if inside and admitted else None
        request = Request(self.command, path, query, self.headers.get("Authorization"), body) if inside else None
        self._answer_api(request, path, query, fault, admission)

    def _answer_api(  # pylint: disable=too-many-arguments,too-many-branches
        self,
        request: Request | None,
        path: str,
        query: dict[str, list[str]],
        fault: Fault | None,
        admission: Admission | None,
    ) -> None:
        state = self.server.state
        # The latency first, for every answer alike (a 429 too: it travels the same network); the handler time leaves
        # it out.
        latency = admission.latency if admission is not None else 0.0
        if latency:
            time.sleep(latency)
        if admission is not None and admission.retry_after is not None:
            reply = error_reply(rate_limited(admission.rate_limit or 0, admission.retry_after))
            entry = state.journal.record(
                self.command, path, query, reply.status, None, started=self._arrived, rate_limited=True
            )
            if self.server.verbose:
                print(f"{self.command} {path} {reply.status} (rate limited)", file=sys.stderr, flush=True)
            self._write_and_finish(reply, entry)
            return
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            entry = state.journal.record(self.command, path, query, None, fault.as_dict(), started=self._arrived)
            self.close_connection = True  # no answer at all: the handler loop closes the connection
            state.journal.finish(entry, self._handler_seconds())
            return
        if fault is not None and fault.status is not None:
            reply = self._fault_reply(fault)
        elif request is None:
            reply = error_reply(ApiError(404, "E_NOT_FOUND", f"no such endpoint; the API lives under {API_PREFIX}"))
        else:
            reply = self._run(lambda: state.api.handle(request))
        if fault is not None and fault.has_body and fault.status is None:
            # Carried out as usual, answered with the given body: a server that breaks the contract after doing the
            # work.
            reply = json_reply(reply.status, fault.body, reply.headers)
        entry = state.journal.record(
            self.command,
            path,
            query,
            reply.status,
            fault.as_dict() if fault is not None else None,
            started=self._arrived,
        )
        if self.server.verbose:
            print(
                f"{self.command} {path} {reply.status}" + (" (fault)" if fault is not None else ""),
                file=sys.stderr,
                flush=True,
            )
        if fault is not None and fault.lose_response:
            self.close_connection = True  # no answer at all: the handler loop closes the connection
            state.journal.finish(entry, self._handler_seconds())
        elif fault is not None and fault.trickle:
            self.close_connection = True  # a client that gave up mid-answer leaves nothing to keep alive
            self._write_and_finish(reply, entry, fault)
        else:
            self._write_and_finish(reply, entry)

    def _write_and_finish(self, reply: Reply, entry: dict[str, Any], trickle: Fault | None = None) -> None:
        try:
            self._write(reply, trickle)
        finally:
            # Also when the client went away mid-answer: the entry then says when the server gave up.
            self.server.state.journal.finish(entry, self._handler_seconds())

    @staticmethod
    def _fault_reply(fault: Fault) -> Reply:
        status = fault.status or 500
        if fault.html:
            reply = html_reply(status)
        elif fault.has_body:
            reply = json_reply(status, fault.body)
        else:
            reply = status_reply(status, f"{reason(status)} (injected fault {generic_code(status)})")
        if fault.retry_after is not None:
            reply.headers["Retry-After"] = str(fault.retry_after)
        elif fault.retry_after_raw is not None:
            reply.headers["Retry-After"] = fault.retry_after_raw  # verbatim, malformed on purpose
        return reply

    @staticmethod
    def _run(operation: Callable[[], Reply]) -> Reply:
        try:
            return operation()
        except ApiError as exc:
            return error_reply(exc)
        except Exception:  # pylint: disable=broad-exception-caught
            # A bug in the emulator must still answer like a server would, and be visible to whoever runs it.
            traceback.print_exc()
            return status_reply(500, "internal emulator error")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not re.fullmatch(r"[ \t]*[0-9]+[ \t]*", raw):  # str.isdigit() takes "²" too
            raise ApiError(400, "E_BAD_REQUEST", "Content-Length must be a non-negative integer")
        length = int(raw)
        if length > MAX_BODY:
            if length <= MAX_DRAIN:
                self._discard(length)  # a client still sending would miss the answer if we closed now
            raise ApiError(413, "E_PAYLOAD_TOO_LARGE", f"request body exceeds {MAX_BODY} bytes")
        return self.rfile.read(length)

    def _discard(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                return
            length -= len(chunk)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            # chunk-size [BWS ";" chunk-ext] CRLF: no white space before the size.
            line = self.rfile.readline(1024).rstrip(b"\r\n").split(b";", 1)[0].rstrip(b" \t")
            if not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", line):  # int(line, 16) takes "0x1a", "+1a" and "1_a" too
                raise ApiError(400, "E_BAD_REQUEST", "malformed chunked request body")
            size = int(line, 16)
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers carry nothing the API uses
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise ApiError(413, "E_PAYLOAD_TOO_LARGE", f"request body exceeds {MAX_BODY} bytes")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _write(self, reply: Reply, trickle: Fault | None = None) -> None:
        # One write per answer: headers and body in separate segments would meet Nagle and delayed ACKs.
        # A trickle fault instead sends it in pieces of trickle_bytes, trickle seconds apart (from the head, or after
        # it).
        lines = [
            f"HTTP/1.1 {reply.status} {reason(reply.status)}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {reply.content_type}"
            + ("; charset=utf-8" if reply.content_type.startswith("text/") else ""),
            f"Content-Length: {len(reply.body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in reply.headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        answer = head if self.command == "HEAD" else head + reply.body
        if trickle is None:
            self.wfile.write(answer)
            return
        start = len(head) if trickle.trickle_from == "body" else 0
        if start:
            self.wfile.write(answer[:start])
        for offset in range(start, len(answer), trickle.trickle_bytes):
            if offset > start:
                time.sleep(trickle.trickle)
            self.wfile.write(
                answer[offset : offset + trickle.trickle_bytes]
            )  # an OSError once the client gave up ends the handler
