# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection each attempt uses, told to the attempt's clock (internal to this collection, not a public API).

Off the main thread, the ``AttemptClock`` ends an attempt that is over time by shutting down the socket of its
connection (see ``_attempt_clock``). urllib3 hands each attempt a connection from a pool, in the attempt's thread
(``_get_conn``, on urllib3 1.26 and 2.x alike): the pools of ``WatchedAdapter`` tell the clock running on that thread
which one, and their connections raise ``AttemptTimeout`` for a read or a connect the clock has cut off, as SIGALRM
would have.
"""

from __future__ import annotations

from http.client import HTTPException

try:
    from requests.adapters import HTTPAdapter
except ImportError:  # requests (and with it urllib3) missing: the client reports it via missing_required_lib
    HTTPAdapter = object

from ._attempt_clock import on_this_thread


class _WatchedConnection:
    """Mixed into a pool's connection class."""

    def connect(self):
        super().connect()  # pylint: disable=no-member
        clock = on_this_thread()
        if clock is not None:
            clock.check()  # over time while connecting, when there was no socket to shut down yet

    def getresponse(self, *args, **kwargs):
        clock = on_this_thread()
        if clock is not None:
            clock.watch(self)  # now with its socket, which an answer read to the connection's end keeps alone
        try:
            return super().getresponse(*args, **kwargs)  # pylint: disable=no-member
        except (OSError, HTTPException) as error:
            timeout = clock.over_time(error) if clock is not None else error
            if timeout is error:
                raise
            raise timeout from error  # a socket timeout, as urllib3 takes a read timeout, with what the cut raised


class _WatchedPool:
    """Mixed into a urllib3 connection pool class."""

    def _get_conn(self, *args, **kwargs):
        connection = super()._get_conn(*args, **kwargs)  # pylint: disable=no-member
        clock = on_this_thread()
        if clock is not None:
            clock.watch(connection)
        return connection


_WATCHED: dict = {}


def _watched(pool_class):
    """``pool_class`` (HTTP, HTTPS, SOCKS), with its connections, telling the clock of each attempt."""
    if issubclass(pool_class, _WatchedPool):
        return pool_class
    if pool_class not in _WATCHED:
        connection_class = type(f"Watched{pool_class.ConnectionCls.__name__}", (_WatchedConnection, pool_class.ConnectionCls), {})
        _WATCHED[pool_class] = type(f"Watched{pool_class.__name__}", (_WatchedPool, pool_class), {"ConnectionCls": connection_class})
    return _WATCHED[pool_class]


def _watch_pools(manager):
    manager.pool_classes_by_scheme = {scheme: _watched(pool_class) for scheme, pool_class in manager.pool_classes_by_scheme.items()}
    return manager


class WatchedAdapter(HTTPAdapter):
    """requests' HTTPAdapter whose pools, direct or through a proxy, tell the attempt's clock its connection."""

    def init_poolmanager(self, *args, **kwargs):  # pylint: disable=signature-differs
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, *args, **kwargs):  # pylint: disable=signature-differs
        return _watch_pools(super().proxy_manager_for(*args, **kwargs))
