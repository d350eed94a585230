# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bound on the time of each attempt of a request as a whole (internal to this collection, not a public API).

The socket timeouts of requests bound each read alone, and an answer that trickles in, a few bytes at a time,
starts them afresh with every piece. Two mechanisms bound the attempt as a whole:

- On the main thread of a POSIX system, a real-time timer (SIGALRM): its handler raises ``AttemptTimeout`` wherever
  the attempt is, a blocked read included.
- Anywhere else (a worker thread, Windows, a real-time timer already in use), a watchdog: a ``threading.Timer`` per
  attempt, cancelled and joined when the attempt stops, so no thread outlives its attempt and none polls. Once over
  time it shuts down the socket of the connection the attempt uses (``watch``, fed by ``WatchedAdapter``), which
  ends a read blocked in the attempt's thread at once, and records that it did; the connection's ``getresponse`` and
  the client then turn what the cut connection raised, or an answer it cut short, into the same ``AttemptTimeout``
  (``over_time``). A lock makes ``stop`` and the watchdog exclusive: once ``stop`` returns, no socket of that
  attempt is shut down. Before the connection holds its socket (name lookup, TCP and TLS handshake), only the connect
  timeout bounds each step; the attempt ends with ``AttemptTimeout`` once the connection is up (``check``).

Why not ``PyThreadState_SetAsyncExc`` instead: it delivers the exception at the next bytecode of the thread, not in
a blocked read (which it would not end), and possibly after the attempt ended, inside urllib3's pool bookkeeping
(a connection lost to the pool, a lock left held). Shutting down the socket touches nothing but the one connection
the attempt owns.

The connection each attempt uses is told to the clock by the pools of ``WatchedAdapter``: urllib3 hands each attempt a
connection from a pool, in the attempt's thread (``_get_conn``, on urllib3 1.26 and 2.x alike), and their connections
raise ``AttemptTimeout`` for a read or a connect the clock has cut off, as SIGALRM would have.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPException
from types import FrameType
from typing import Any

try:
    from requests.adapters import HTTPAdapter
except ImportError:  # requests (and with it urllib3) missing: the client reports it via missing_required_lib
    HTTPAdapter = object  # type: ignore[assignment,misc]

# The watchdog clock running on each thread, for the connections that thread takes from a pool (``on_this_thread``).
_RUNNING = threading.local()


class AttemptTimeout(socket.timeout):
    """An attempt took longer than ``timeout`` as a whole. A socket timeout, so that urllib3 and requests, wherever it
    interrupts them, take it for the read (or connect) timeout that it is."""


def on_this_thread() -> AttemptClock | None:
    """The watchdog clock running on this thread, if any (the SIGALRM clock needs no connection)."""
    return getattr(_RUNNING, "clock", None)


class AttemptClock:  # pylint: disable=too-many-instance-attributes
    """Bounds each attempt of a request as a whole: connecting, sending, and receiving the whole answer.

    SIGALRM on the main thread of a POSIX system, a watchdog that shuts down the attempt's socket anywhere else
    (see the module's docstring).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._active = False
        self._armed = False
        self._watchdog = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._attempt = 0  # which attempt a timer belongs to: a late one must not cut the next attempt
        self._connection = None
        self._socket = None  # the connection's socket when last seen: http.client lets go of it, not the answer
        self._cut = False  # the watchdog shut the current (or last) attempt's connection down

    @contextmanager
    def running(self) -> Iterator[AttemptClock]:
        """Within this block, each attempt started with ``start()`` (the first one at once) raises ``AttemptTimeout``
        once over time."""
        if not self._usable():
            with self._watching():
                yield self
            return
        previous = signal.signal(signal.SIGALRM, self._expired)
        self._active = True
        try:
            self.start()
            yield self
        finally:
            self.stop()
            self._active = False
            signal.signal(signal.SIGALRM, previous)

    @contextmanager
    def _watching(self) -> Iterator[None]:
        previous = on_this_thread()
        _RUNNING.clock = self
        self._watchdog = self._active = True
        try:
            self.start()
            yield
        finally:
            self.stop()
            self._active = self._watchdog = False
            _RUNNING.clock = previous

    def start(self) -> None:
        """An attempt starts now."""
        if not self._active:
            return
        if not self._watchdog:
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            return
        with self._lock:
            self._attempt += 1
            self._armed, self._cut, self._connection, self._socket = True, False, None, None
            self._timer = threading.Timer(self.seconds, self._cut_off, (self._attempt,))
            self._timer.daemon = True  # never what keeps a finished module's process alive
            self._timer.start()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Between two attempts: the wait belongs to no attempt's time, and the next attempt starts when it ends."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def stop(self) -> None:
        """The attempt is over (or waits between two attempts, which no attempt's time includes)."""
        if not self._active:
            return
        if not self._watchdog:
            self._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        with self._lock:
            self._armed = False
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            timer.join()  # at once: a cancelled timer, or one that found the attempt over, returns without waiting

    def watch(self, connection: Any) -> None:
        """The attempt now uses ``connection`` (an http.client connection): the one the watchdog cuts off.

        Told again before the answer is read: http.client drops the socket of a connection that closes after
        the answer (``Connection: close``) while the answer goes on reading from it."""
        with self._lock:
            self._connection = connection
            self._socket = getattr(connection, "sock", None) or self._socket
            if self._cut:
                self._shut_down()  # cut off before this connection was handed out: it must not start a read

    def check(self) -> None:
        """Raise ``AttemptTimeout`` if the watchdog has cut this attempt off."""
        if self._cut:
            raise self._timeout()

    def over_time(self, error: BaseException | None) -> BaseException | None:
        """What an attempt that ended with ``error`` (None: it seemed to succeed) ended with: ``AttemptTimeout`` if
        the watchdog cut it off, whatever the cut connection raised or however short it left the answer; else
        ``error``."""
        if not self._cut or isinstance(error, AttemptTimeout):
            return error
        timeout = self._timeout()
        timeout.__context__ = error
        return timeout

    def _cut_off(self, attempt: int) -> None:
        with self._lock:
            if not self._armed or attempt != self._attempt:
                return  # the attempt ended meanwhile
            self._armed = False
            self._cut = True
            self._shut_down()

    def _shut_down(self) -> None:
        sock = getattr(self._connection, "sock", None) or self._socket
        if sock is None:
            return  # not connected yet: ``check`` ends the attempt once it is
        try:
            # socket.socket's own shutdown, also for an SSLSocket, whose override would drop its TLS state
            # under a read in progress in the attempt's thread. A closed socket has no descriptor left to reuse.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, TypeError):  # closed meanwhile, or a socket-like object of some proxy
            pass

    def _timeout(self) -> AttemptTimeout:
        return AttemptTimeout(f"no whole answer within timeout ({self.seconds:g} s)")

    def _expired(self, signum: int, frame: FrameType | None) -> None:  # pylint: disable=unused-argument
        if self._armed:
            self._armed = False
            raise self._timeout()

    @staticmethod
    def _usable() -> bool:
        return (
            hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0
        )


# -- the connection each attempt uses, told to the attempt's clock --------------------------------------------------


class _WatchedConnection:
    """Mixed into a pool's connection class."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]  # pylint: disable=no-member
        clock = on_this_thread()
        if clock is not None:
            clock.check()  # over time while connecting, when there was no socket to shut down yet

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        clock = on_this_thread()
        if clock is not None:
            clock.watch(self)  # now with its socket, which an answer read to the connection's end keeps alone
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]  # pylint: disable=no-member
        except (OSError, HTTPException) as error:
            timeout: BaseException | None = clock.over_time(error) if clock is not None else error
            if timeout is error:
                raise
            # A socket timeout, as urllib3 takes a read timeout, with what the cut raised.
            raise timeout from error  # type: ignore[misc]


class _WatchedPool:
    """Mixed into a urllib3 connection pool class."""

    def _get_conn(self, *args: Any, **kwargs: Any) -> Any:
        connection = super()._get_conn(*args, **kwargs)  # type: ignore[misc]  # pylint: disable=no-member
        clock = on_this_thread()
        if clock is not None:
            clock.watch(connection)
        return connection


_WATCHED: dict[type, type] = {}


def _watched(pool_class: Any) -> type:
    """``pool_class`` (HTTP, HTTPS, SOCKS), with its connections, telling the clock of each attempt."""
    if issubclass(pool_class, _WatchedPool):
        return pool_class
    if pool_class not in _WATCHED:
        connection_class = type(
            f"Watched{pool_class.ConnectionCls.__name__}", (_WatchedConnection, pool_class.ConnectionCls), {}
        )
        _WATCHED[pool_class] = type(
            f"Watched{pool_class.__name__}", (_WatchedPool, pool_class), {"ConnectionCls": connection_class}
        )
    return _WATCHED[pool_class]


def _watch_pools(manager: Any) -> Any:
    manager.pool_classes_by_scheme = {
        scheme: _watched(pool_class) for scheme, pool_class in manager.pool_classes_by_scheme.items()
    }
    return manager


class WatchedAdapter(HTTPAdapter):
    """requests' HTTPAdapter whose pools, direct or through a proxy, tell the attempt's clock its connection."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:  # pylint: disable=signature-differs
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:  # pylint: disable=signature-differs
        return _watch_pools(super().proxy_manager_for(*args, **kwargs))
