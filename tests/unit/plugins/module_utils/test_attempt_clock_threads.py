# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The attempt clock off the main thread: a watchdog that shuts down the attempt's socket, against a local TLS server
whose answers trickle in."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import trustme
from urllib3 import HTTPConnectionPool

from ansible_collections.fiskaly.management.plugins.module_utils._http.attempt_clock import (
    AttemptClock,
    AttemptTimeout,
    WatchedAdapter,
)
from ansible_collections.fiskaly.management.plugins.module_utils._http.client import FiskalyClient
from ansible_collections.fiskaly.management.plugins.module_utils._http.failures import TransportError

TIMEOUT = 2  # room for a loaded machine: a fast answer must never come near it
CUT_OFF = "no whole answer within timeout (2 s)"


def key(name: str) -> dict:
    # Some 300 bytes: a trickle of one byte each 0.1 s would take half a minute.
    return {"name": name, "kind": "test", "status": "enabled", "metadata": {"note": "x" * 200}}


class TrickleServer:
    """HTTPS on 127.0.0.1. Each request to /api_keys/NAME takes the next behaviour scripted for NAME, else "fast":
    "fast" (the answer at once), "trickle" (all of it a byte each 0.1 s), "trickle body" (the body so, after the head),
    "trickle unframed" (the same without Content-Length, the end of the body being the end of the connection),
    or a number of seconds (the whole answer in about that time, in 10 pieces)."""

    def __init__(self, certificate):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(self.context)
        self.script: dict[str, list] = {}
        self.connections = 0
        self.requests: list[str] = []
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        try:
            with self.context.wrap_socket(connection, server_side=True) as tls:
                reader = tls.makefile("rb")
                while not self.stopping.is_set():
                    head = reader.readline()
                    if not head:
                        return
                    while reader.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    name = head.split()[1].decode().rsplit("/", 1)[-1]
                    self.requests.append(name)
                    behaviour = self.script.get(name, []).pop(0) if self.script.get(name) else "fast"
                    if not self._answer(tls, name, behaviour):
                        return
        except (OSError, ValueError):  # the client cut the connection off
            return

    def _answer(self, tls, name: str, behaviour) -> bool:
        body = json.dumps(key(name)).encode()
        framed = behaviour != "trickle unframed"
        framing = f"Content-Length: {len(body)}\r\n" if framed else "Connection: close\r\n"
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n".encode()
        if behaviour == "fast":
            tls.sendall(head + body)
        elif behaviour == "trickle":
            self._trickle(tls, head + body, 0.1, 1)
        elif behaviour in ("trickle body", "trickle unframed"):
            tls.sendall(head)
            self._trickle(tls, body, 0.1, 1)
        else:
            whole = head + body
            self._trickle(tls, whole, behaviour / 10, -(-len(whole) // 10))
        return framed

    def _trickle(self, tls, data: bytes, every: float, size: int):
        for at in range(0, len(data), size):
            if self.stopping.wait(every):
                return
            tls.sendall(data[at : at + size])

    def close(self):
        self.stopping.set()
        self.listener.close()


@pytest.fixture(name="certificate_authority", scope="module")
def fixture_certificate_authority():
    return trustme.CA()


@pytest.fixture(name="server")
def fixture_server(certificate_authority):
    running = TrickleServer(certificate_authority.issue_cert("127.0.0.1"))
    yield running
    running.close()


@pytest.fixture(name="new_client")
def fixture_new_client(server, certificate_authority, tmp_path, monkeypatch):
    for variable in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)
    bundle = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(bundle))
    clients = []

    def new_client(**kwargs) -> FiskalyClient:
        options = {"access_token": "tok", "verify": str(bundle), "timeout": TIMEOUT, "retries": 0, **kwargs}
        clients.append(FiskalyClient(f"https://127.0.0.1:{server.port}/api/v0", **options))
        return clients[-1]

    yield new_client
    for client in clients:
        client.close()


def in_a_worker(function, *args):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result(timeout=30)


def outcome(client: FiskalyClient, name: str):
    """What reading ``name`` gives: the key's name, or the failure's kind and message; and how long it took."""
    started = time.monotonic()
    try:
        result = client.get_api_key(name)["name"]  # type: ignore[index]
    except TransportError as error:
        result = (error.cause, str(error))
    return result, time.monotonic() - started


def timers() -> list:
    return [thread for thread in threading.enumerate() if isinstance(thread, threading.Timer)]


@pytest.mark.parametrize("behaviour", ["trickle", "trickle body", "trickle unframed"])
def test_a_trickle_read_in_a_worker_thread_is_cut_off_after_timeout(server, new_client, behaviour):
    server.script["pos-1"] = [behaviour]
    result, took = in_a_worker(outcome, new_client(), "pos-1")
    # Unframed too: the body it leaves short, which looks like the end of the answer, is no answer.
    assert result == ("timeout", f"Reading API key 'pos-1' failed: timeout: {CUT_OFF}")
    assert TIMEOUT <= took < TIMEOUT + 2
    assert not timers()


def test_a_normal_answer_in_a_worker_thread_is_unaffected_and_its_connection_kept(server, new_client):
    client = new_client()
    assert in_a_worker(outcome, client, "pos-1")[0] == "pos-1"
    time.sleep(TIMEOUT + 0.5)  # no watchdog left to fire at the connection, now idle in the pool
    assert not timers()
    assert in_a_worker(outcome, client, "pos-2")[0] == "pos-2"
    assert server.connections == 1 and server.requests == ["pos-1", "pos-2"]


def test_an_answer_that_takes_most_of_timeout_is_not_cut_off(server, new_client):
    server.script["pos-1"] = [TIMEOUT * 0.6]
    assert in_a_worker(outcome, new_client(), "pos-1")[0] == "pos-1"


def test_the_attempt_after_one_cut_off_has_the_whole_timeout_again(server, new_client):
    # The second attempt takes 0.7 of timeout: it fails unless its clock started afresh.
    server.script["pos-1"] = ["trickle", TIMEOUT * 0.7]
    result, took = in_a_worker(outcome, new_client(retries=1), "pos-1")
    assert result == "pos-1" and took >= TIMEOUT * 1.7
    assert server.requests == ["pos-1", "pos-1"] and server.connections == 2  # the cut connection was not reused
    assert not timers()


def test_the_attempt_after_one_cut_off_is_cut_off_in_turn_and_the_retries_end(server, new_client):
    server.script["pos-1"] = ["trickle", "trickle body"]
    result, took = in_a_worker(outcome, new_client(retries=1, retry_deadline=60), "pos-1")
    # A failure after retries says how many attempts it made (issue 18).
    assert result == ("timeout", f"Reading API key 'pos-1' failed: timeout: {CUT_OFF} (after 2 attempts)")
    assert 2 * TIMEOUT <= took < 2 * TIMEOUT + 2 and server.requests == ["pos-1", "pos-1"]


def test_threads_at_once_each_have_their_own_clock(server, new_client):
    names = ["slow-1", "fast-1", "slow-2", "fast-2", "fast-3"]
    for name in names:
        server.script[name] = ["trickle body"] if name.startswith("slow") else ["fast"]
    clients = {name: new_client() for name in names}
    with ThreadPoolExecutor(len(names)) as pool:
        results = dict(zip(names, pool.map(lambda name: outcome(clients[name], name)[0], names)))
    assert results == {
        "slow-1": ("timeout", f"Reading API key 'slow-1' failed: timeout: {CUT_OFF}"),
        "slow-2": ("timeout", f"Reading API key 'slow-2' failed: timeout: {CUT_OFF}"),
        "fast-1": "fast-1",
        "fast-2": "fast-2",
        "fast-3": "fast-3",
    }


def test_the_main_thread_keeps_sigalrm_and_no_watchdog(server, new_client, monkeypatch):
    def no_timer(*args, **kwargs):
        raise AssertionError("a watchdog on the main thread")

    monkeypatch.setattr(threading, "Timer", no_timer)
    server.script["pos-1"] = ["trickle body"]
    result, took = outcome(new_client(), "pos-1")
    assert (
        result == ("timeout", f"Reading API key 'pos-1' failed: timeout: {CUT_OFF}") and TIMEOUT <= took < TIMEOUT + 2
    )


class Connection:  # pylint: disable=too-few-public-methods
    """What the clock watches of an http.client connection: its socket."""

    def __init__(self, sock):
        self.sock = sock


def test_the_watchdog_ends_a_read_blocked_in_its_thread():
    def blocked_read():
        ours, theirs = socket.socketpair()
        with ours, theirs:
            clock = AttemptClock(0.3)
            with clock.running():
                clock.watch(Connection(ours))
                started = time.monotonic()
                assert ours.recv(10) == b""  # no data ever comes: the shutdown ends the read
                took = time.monotonic() - started
                with pytest.raises(AttemptTimeout, match=r"no whole answer within timeout \(0.3 s\)"):
                    clock.check()
            return took

    assert 0.25 < in_a_worker(blocked_read) < 2


def test_a_stopped_attempt_is_never_cut_off_afterwards():
    def stopped_early():
        ours, theirs = socket.socketpair()
        with ours, theirs:
            clock = AttemptClock(0.2)
            with clock.running():
                clock.watch(Connection(ours))
            time.sleep(0.4)
            theirs.sendall(b"still open")
            return ours.recv(10), clock.over_time(None)

    assert in_a_worker(stopped_early) == (b"still open", None)
    assert not timers()


def test_the_wait_between_attempts_is_no_part_of_either_in_a_worker_thread():
    def attempts():
        ours, theirs = socket.socketpair()
        with ours, theirs:
            clock = AttemptClock(0.5)
            with clock.running():
                clock.watch(Connection(ours))
                time.sleep(0.3)
                clock.stop()
                time.sleep(0.5)  # a wait between attempts, longer than an attempt may take
                clock.start()
                clock.watch(Connection(ours))
                time.sleep(0.3)
                theirs.sendall(b"x")
                return ours.recv(10), clock.over_time(None)

    assert in_a_worker(attempts) == (b"x", None)


def test_the_pools_through_a_proxy_are_watched_too():
    adapter = WatchedAdapter()
    for manager in (adapter.poolmanager, adapter.proxy_manager_for("http://proxy.test:3128")):
        pools = manager.pool_classes_by_scheme
        assert {scheme: issubclass(pools[scheme], HTTPConnectionPool) for scheme in ("http", "https")} == {
            "http": True,
            "https": True,
        }
        assert all(
            pool.__name__.startswith("Watched") and pool.ConnectionCls.__name__.startswith("Watched")
            for pool in pools.values()
        )
    adapter.close()


def test_a_fleets_concurrent_reads_through_one_client_cut_off_only_the_trickle(server, new_client):
    names = ["fast-1", "fast-2", "fast-3", "slow-1"]
    for name in names:
        server.script[name] = ["trickle body"] if name.startswith("slow") else ["fast"]
    client = new_client(max_concurrent_requests=4)
    started = time.monotonic()
    with pytest.raises(TransportError) as raised:
        client.get_api_keys(names)
    assert (
        str(raised.value) == f"Reading API key 'slow-1' failed: timeout: {CUT_OFF}"
        and time.monotonic() - started < TIMEOUT + 2
    )
    assert [key["name"] for key in client.get_api_keys(names[:3])] == names[:3]  # the same pool, after the cut
