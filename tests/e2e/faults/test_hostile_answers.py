# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile answers and surroundings (issue 13): a ~/.netrc that would replace the token, malformed Retry-After headers,
answers that trickle in, numeric options that are no numbers, a CA bundle variable that names no file, a dead proxy,
answers that break the contract, and fleets of bad names. Each ends in a clear failure or a named warning, never a
traceback, a secret, or a credential."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time

import pytest

from harness import faulted_requests, fleet_of_three, report, writes

MODULE = "fiskaly.management.fiskaly_api_key"
INFO = "fiskaly.management.fiskaly_api_key_info"
TOKEN = "fiskaly.management.fiskaly_token"
GROUP = "group/fiskaly.management.fiskaly"
KEY = "hostile-key"
FAST = {"retries": 3, "retry_deadline": 20, "timeout": 2}
TABLE = "hostile answers and surroundings (issue 13)"
NO_PROXY = {"NO_PROXY": "", "no_proxy": ""}  # so that a proxy variable applies to 127.0.0.1 whatever the machine sets


def create(name: str = KEY, **keywords) -> dict:
    return {"name": "create", MODULE: {"name": name, "kind": "test"}, **keywords}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def statuses(emulator) -> list[tuple[str, str, int | None]]:
    return [(entry["method"], entry["path"], entry["status"]) for entry in emulator.requests()]


# -- point 4: ~/.netrc (or $NETRC) never replaces the Bearer token ---------------------------------------------------


@pytest.mark.parametrize("where", ["NETRC", "HOME"])
def test_a_netrc_entry_never_replaces_the_bearer_token(ansible, emulator, tmp_path, where):
    password = ansible.secret("netrc-password-never-sent-4711")
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    # A default entry and one for the emulator's host: requests would send either as HTTP Basic, instead of the token.
    netrc.write_text(
        f"machine 127.0.0.1 login netrc-user password {password}\ndefault login netrc-default password {password}\n"
    )
    netrc.chmod(0o600)
    env = {"NETRC": str(netrc)} if where == "NETRC" else {"HOME": str(home)}
    token = ansible.secret(emulator.issue_token())

    run = ansible.playbook(
        [
            create(),
            {"name": "list", INFO: {}},
            {
                "name": "list with a given token",
                INFO: {},
                "module_defaults": {
                    GROUP: {"base_url": emulator.base_url, "ca_path": emulator.ca_path, "access_token": token}
                },
            },
            {"name": "login", TOKEN: {}, "no_log": True},
        ],
        env=env,
        shows=(KEY,),
    )

    assert run.rc == 0, run.output[-3000:]
    assert run.status("create") == "changed" and [key["name"] for key in run.task("list")["api_keys"]] == [KEY]
    assert run.task("list with a given token")["count"] == 1
    # Every call but POST /auth carried the token as Bearer: the emulator answers Basic credentials with 401.
    assert [status for _method, _path, status in statuses(emulator)] == [200, 404, 200, 200, 200, 200, 200]
    report(TABLE, f"netrc default entry ({where})", "ignored: the token goes as Bearer, no netrc credential is sent")


class ConnectProxy:
    """A forward proxy for HTTPS (CONNECT only), on loopback, that counts the tunnels it opened."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.tunnels: list[tuple[str, bool]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self.listener.close()

    def _serve(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client):
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                piece = client.recv(4096)
                if not piece:
                    return
                head += piece
            lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ")
            self.tunnels.append(
                (f"{method} {target}", any(line.lower().startswith("proxy-authorization:") for line in lines[1:]))
            )
            host, port = target.rsplit(":", 1)
            with socket.create_connection((host, int(port))) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
                self._pipe(client, upstream)

    @staticmethod
    def _pipe(source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def test_proxies_from_the_environment_keep_working_and_netrc_is_not_read(ansible, emulator, tmp_path):
    password = ansible.secret("proxy-password-4712")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"default login netrc-user password {password}x\n")
    netrc.chmod(0o600)
    proxy = ConnectProxy()
    try:
        env = {"HTTPS_PROXY": f"http://proxy-user:{password}@127.0.0.1:{proxy.port}", "NETRC": str(netrc), **NO_PROXY}
        run = ansible.playbook([create(), {"name": "list", INFO: {}}], env=env, shows=(KEY,))
    finally:
        proxy.close()

    assert run.rc == 0, run.output[-3000:]
    assert run.status("create") == "changed" and run.task("list")["count"] == 1
    # Each module opened its tunnel through the proxy, with the proxy's own credentials, for the proxy alone.
    assert proxy.tunnels and all(tunnel == (f"CONNECT 127.0.0.1:{emulator.port}", True) for tunnel in proxy.tunnels), (
        proxy.tunnels
    )
    assert [status for _method, _path, status in statuses(emulator)] == [200, 404, 200, 200, 200]
    report(TABLE, "HTTPS_PROXY with credentials, netrc set", "proxy used (CONNECT), netrc ignored, key created")


# -- point 5: a malformed Retry-After is taken for none ---------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("value", ["soon", "1.5", "-1", ""], ids=["soon", "decimal", "negative", "empty"])
def test_a_malformed_retry_after_is_retried_with_the_clients_own_backoff(ansible, emulator, status, value):
    emulator.inject("GET", f"/api_keys/{KEY}", [{"status": status, "retry_after_raw": value}])

    run = ansible.playbook([create()], module_defaults=FAST, shows=(KEY,))

    assert run.status("create") == "changed", run.output[-3000:]
    assert emulator.create_count(KEY) == 1
    assert [entry["status"] for entry in emulator.requests("GET", f"/api_keys/{KEY}")] == [status, 404]
    report(TABLE, f"{status} with Retry-After {value!r}", "retried after the client's own backoff; task ok")


def test_a_malformed_retry_after_to_the_end_blames_the_answer_not_the_request(ansible, emulator):
    emulator.inject("GET", f"/api_keys/{KEY}", [{"status": 429, "retry_after_raw": "soon"}] * 2)

    run = ansible.playbook([create()], module_defaults={**FAST, "retries": 1})

    result = run.task("create")
    assert run.status("create") == "failed"
    assert result["failure"]["status"] == 429 and "HTTP 429" in result["msg"] and "request header" not in result["msg"]
    assert len(emulator.requests("GET", f"/api_keys/{KEY}")) == 2
    report(TABLE, "429 with Retry-After 'soon' to the end", result["msg"])


def test_a_create_whose_answer_was_lost_then_met_malformed_retry_afters_is_looked_up(ansible, emulator):
    emulator.inject(
        "PUT", f"/api_keys/{KEY}", [{"lose_response": True}] + [{"status": 429, "retry_after_raw": "soon"}] * 3
    )

    run = ansible.playbook([create()], module_defaults=FAST)

    result = run.task("create")
    assert run.status("create") == "failed" and result["changed"] is True
    assert f"API key '{KEY}' was created, but its secret was not received" in result["msg"]
    assert "the request ended in HTTP 429" in result["msg"] and "request header" not in result["msg"]
    assert [(method, status) for method, path, status in statuses(emulator) if path == f"/api_keys/{KEY}"] == [
        ("GET", 404),
        ("PUT", 200),
        ("PUT", 429),
        ("PUT", 429),
        ("PUT", 429),
        ("GET", 200),
    ]


def test_a_create_after_a_500_then_malformed_retry_afters_is_looked_up(ansible, emulator):
    # The issue's case: the 500 may have created the key, so the key is looked for (here it was not created).
    emulator.inject("PUT", f"/api_keys/{KEY}", [{"status": 500}] + [{"status": 429, "retry_after_raw": "1.5"}] * 3)

    run = ansible.playbook([create()], module_defaults=FAST)

    result = run.task("create")
    assert run.status("create") == "failed" and result["changed"] is False
    assert "HTTP 429" in result["msg"] and "request header" not in result["msg"]
    assert [method for method, path, _status in statuses(emulator) if path == f"/api_keys/{KEY}"] == [
        "GET",
        "PUT",
        "PUT",
        "PUT",
        "PUT",
        "GET",
    ]


# -- point 6: timeout bounds each attempt as a whole, retry_deadline the request
# ----------------------------------------

# Each piece comes well within timeout, yet the whole answer (some 300 bytes, 2 a piece) would take half a minute.
TRICKLE = {"trickle": 0.2, "trickle_bytes": 2}


def timed(emulator, start_run):
    """The run, and the seconds from the emulator's first request to the run's end: the module's requests, without the
    seconds that ansible-playbook and the module take to start on a busy machine."""
    first: list[float] = []
    done = threading.Event()

    def watch():
        while not done.is_set() and not emulator.requests():
            time.sleep(0.02)
        first.append(time.monotonic())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        run = start_run()
    finally:
        done.set()
        watcher.join()
    return run, time.monotonic() - first[0]


def test_a_trickling_answer_is_bounded_by_timeout_and_retry_deadline(ansible, emulator):
    emulator.inject("GET", f"/api_keys/{KEY}", [TRICKLE] * 10)
    limits = {"timeout": 2, "retry_deadline": 5, "retries": 5}

    run, took = timed(emulator, lambda: ansible.playbook([create()], module_defaults=limits, verbosity=0))

    result = run.task("create")
    assert run.status("create") == "failed" and result["failure"]["code"] == "timeout", result
    # A failure after retries says how many attempts it made (issue 18).
    made = re.fullmatch(
        rf"Reading API key '{KEY}' failed: timeout: no whole answer within timeout \(2 s\) \(after (\d) attempts\)",
        result["msg"],
    )
    assert made and 2 <= int(made.group(1)) <= 4, result["msg"]
    # No attempt starts after retry_deadline (5 s) and none takes longer than timeout (2 s); the login and the module's
    # end take a little more. Without the bound, the first attempt alone took over 30 s.
    assert took < 5 + 2 + 4, f"the requests took {took:.1f} s"
    attempts = faulted_requests(emulator, int(made.group(1)))
    assert 2 <= len(attempts) <= 4 and writes(emulator) == []
    report(
        TABLE,
        "trickling answer to every attempt (timeout 2, retry_deadline 5)",
        f"task fails after {took:.1f} s: {result['msg']}",
    )


@pytest.mark.parametrize("start", ["head", "body"])
def test_a_trickling_answer_once_is_retried(ansible, emulator, start):
    emulator.inject("GET", f"/api_keys/{KEY}", [{**TRICKLE, "trickle_from": start}])

    run, took = timed(
        emulator, lambda: ansible.playbook([create()], module_defaults={**FAST, "timeout": 1}, shows=(KEY,))
    )

    assert run.status("create") == "changed", run.output[-3000:]
    assert [
        (entry["status"], entry["fault"] is not None) for entry in emulator.requests("GET", f"/api_keys/{KEY}")
    ] == [(404, True), (404, False)]
    assert took < 10 and emulator.create_count(KEY) == 1
    report(
        TABLE,
        f"trickling answer once ({start})",
        f"the attempt ends after timeout, the retry gets the answer; task ok in {took:.1f} s",
    )


def test_a_create_whose_answer_trickles_is_reported_as_created_its_secret_lost(ansible, emulator):
    # The key is created, then its answer, secret included, trickles past timeout; the retry finds the key (409).
    emulator.inject("PUT", f"/api_keys/{KEY}", [{**TRICKLE, "trickle_from": "body"}])

    run = ansible.playbook([create()], module_defaults={**FAST, "timeout": 1})

    result = run.task("create")
    assert run.status("create") == "failed" and result["changed"] is True
    assert f"API key '{KEY}' was created, but its secret was not received" in result["msg"]
    assert [entry["status"] for entry in emulator.requests("PUT")] == [200, 409] and emulator.create_count(KEY) == 1


# -- point 10: numeric options finite and in range; an access_token that is not ASCII ----------------------------------

NOT_ASCII_TOKEN = "t\u00f6ken-\u20ac-never-sent-4713"

# id: (task-level connection settings, fragments the message must hold)
BAD_OPTIONS = {
    "timeout inf": (
        {"timeout": "inf"},
        ["timeout must be a number of seconds greater than 0 and at most 3600, got inf"],
    ),
    "timeout nan": (
        {"timeout": "nan"},
        ["timeout must be a number of seconds greater than 0 and at most 3600, got nan"],
    ),
    "timeout 3601": (
        {"timeout": 3601},
        ["timeout must be a number of seconds greater than 0 and at most 3600, got 3601"],
    ),
    "timeout 0": ({"timeout": 0}, ["timeout must be a number of seconds greater than 0"]),
    "retry_deadline nan": (
        {"retry_deadline": "nan"},
        ["retry_deadline must be a number of seconds from 0 to 86400, got nan"],
    ),
    "retry_deadline inf": (
        {"retry_deadline": "inf"},
        ["retry_deadline must be a number of seconds from 0 to 86400, got inf"],
    ),
    "retry_deadline -1": (
        {"retry_deadline": -1},
        ["retry_deadline must be a number of seconds from 0 to 86400, got -1"],
    ),
    "retries 101": ({"retries": 101}, ["retries must be 0 to 100, got 101"]),
    "retries 100000": ({"retries": 100000}, ["retries must be 0 to 100, got 100000"]),
    "retries -1": ({"retries": -1}, ["retries must be 0 to 100, got -1"]),
    "access_token not ASCII": (
        {"access_token": NOT_ASCII_TOKEN, "api_key": None, "api_secret": None},
        ["access_token must be ASCII: it goes in an HTTP header"],
    ),
    "base_url port out of range": (
        {"base_url": "https://127.0.0.1:99999/api/v0"},
        ["base_url has no valid port", "99999"],
    ),
    "base_url port not a number": ({"base_url": "https://127.0.0.1:api/v0"}, ["base_url has no valid port"]),
    "all at once": (
        {"timeout": "nan", "retries": 101, "retry_deadline": "inf"},
        ["timeout must", "retries must", "retry_deadline must"],
    ),
}


def test_numeric_options_that_are_no_finite_number_in_range_fail_before_any_request(ansible, emulator):
    ansible.secret(NOT_ASCII_TOKEN)
    tasks = []
    for case, (connection, _fragments) in BAD_OPTIONS.items():
        settings = {**ansible.connection, **connection}
        tasks.append(
            {
                "name": case,
                INFO: {},
                "ignore_errors": True,
                "module_defaults": {GROUP: {name: value for name, value in settings.items() if value is not None}},
            }
        )

    run = ansible.playbook(tasks)

    for case, (_connection, fragments) in BAD_OPTIONS.items():
        assert run.status(case) == "failed", (case, run.task(case))
        message = run.task(case)["msg"]
        assert not [fragment for fragment in fragments if fragment not in message], (case, message)
        assert "Unexpected error" not in message
        report(TABLE, f"option: {case}", message)
    assert emulator.requests() == []


# -- point 11: a CA bundle variable that names no file ----------------------------------------------------------------


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_variable_that_names_no_file_is_named_before_any_request(ansible, emulator, variable):
    env = {"REQUESTS_CA_BUNDLE": "", variable: "/nonexistent/bundle.pem"}
    without_ca_path = {"base_url": emulator.base_url, "api_key": emulator.api_key, "api_secret": emulator.api_secret}

    run = ansible.playbook(
        [
            {"name": "login", TOKEN: {}, "ignore_errors": True},
            {"name": "with ca_path", TOKEN: {"ca_path": emulator.ca_path}, "no_log": True},
        ],
        connection=False,
        module_defaults=without_ca_path,
        env=env,
    )

    message = run.task("login")["msg"]
    assert run.status("login") == "failed"
    assert f"the environment variable {variable} names /nonexistent/bundle.pem" in message and "ca_path" in message
    assert "Unexpected error" not in message
    # ca_path wins over the variable, as it always did.
    assert run.status("with ca_path") == "ok"
    assert [path for _method, path, _status in statuses(emulator)] == ["/auth"]
    report(TABLE, f"{variable} names no file", message)


# -- point 12: a dead proxy is named, with its variable, never its credentials ---------------------------------------


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_dead_proxy_is_named_with_its_variable_never_its_credentials(ansible, emulator, variable):
    others = [name for name in os.environ if name.lower() in ("https_proxy", "all_proxy")]
    if others:
        pytest.skip(f"{others} set on this machine would override {variable}")
    password = ansible.secret("proxy-password-never-shown-4714")
    port = closed_port()
    env = {**NO_PROXY, variable: f"http://proxy-user:{password}@127.0.0.1:{port}"}

    run = ansible.playbook([{"name": "login", TOKEN: {}}], module_defaults={"retries": 1, "retry_deadline": 5}, env=env)

    result = run.task("login")
    assert run.status("login") == "failed"
    assert result["msg"].startswith("Retrieving a token with api_key and api_secret failed: proxy failure: ")
    assert f"through the proxy http://127.0.0.1:{port} from {variable}" in result["msg"]
    assert "proxy-user" not in run.output and result["failure"]["code"] == "proxy failure"
    assert emulator.requests() == []
    report(TABLE, f"dead proxy in {variable}", result["msg"])


# -- point 13: answers that break the contract ------------------------------------------------------------------------

CREATED_WITHOUT_SECRET = {"name": KEY, "kind": "test", "status": "enabled", "metadata": {}, "_type": "API_KEY"}


def create_answered_with(ansible, emulator, body) -> dict:
    """Create KEY with its PUT answered 200 with body: the task fails, changed, naming the key as created without its secret."""
    emulator.inject("PUT", f"/api_keys/{KEY}", [{"body": body}])

    run = ansible.playbook([create()], module_defaults=FAST)

    result = run.task("create")
    assert run.status("create") == "failed" and result["changed"] is True
    assert f"API key '{KEY}' was created, but its secret was not received" in result["msg"]
    return result


@pytest.mark.parametrize(
    "body",
    [CREATED_WITHOUT_SECRET, {**CREATED_WITHOUT_SECRET, "secret": 4711}, {**CREATED_WITHOUT_SECRET, "secret": ""}],
    ids=["no secret", "a number", "empty"],
)
def test_a_create_answered_without_a_string_secret_says_the_secret_was_not_received(ansible, emulator, body):
    result = create_answered_with(ansible, emulator, body)
    assert "holds no 'secret' string" in result["msg"]
    assert result["api_key"]["name"] == KEY and "secret" not in result["api_key"] and "secret" not in result
    assert emulator.create_count(KEY) == 1
    report(TABLE, f"create answered 200, secret: {body.get('secret', 'none')!r}", result["msg"])


@pytest.mark.parametrize("body", [[1, 2], "created", None], ids=["list", "string", "null"])
def test_a_create_answered_with_no_object_is_looked_up_and_reported_as_created(ansible, emulator, body):
    result = create_answered_with(ansible, emulator, body)
    assert "the request ended in a malformed answer" in result["msg"] and "Unexpected error" not in result["msg"]
    assert [(method, status) for method, path, status in statuses(emulator) if path == f"/api_keys/{KEY}"] == [
        ("GET", 404),
        ("PUT", 200),
        ("GET", 200),
    ]


def test_a_fleet_counts_a_key_created_without_a_secret_as_created(ansible, emulator):
    emulator.inject("PUT", "/api_keys/hostile-b", [{"body": {**CREATED_WITHOUT_SECRET, "name": "hostile-b"}}])

    fleet_of_three(ansible, ("hostile-a", "hostile-b", "hostile-c"), FAST)


LIST_FAULTS = {
    "not an object": (
        [{"name": "x"}],
        "with a JSON list for the page at offset 0, where the contract has a list object",
    ),
    "items not objects": (
        {"data": [1, "two"], "count": 2},
        "item 0 of 'data' is a JSON number, where the contract has an API key object",
    ),
    "negative count": ({"data": [], "count": -3}, "without a 'count' of 0 or more (it has -3)"),
    "count a string": ({"data": [], "count": "3"}, "without a 'count' of 0 or more (it has a JSON string)"),
    "no data": ({"count": 0}, "without a 'data' list (it has none)"),
}


def test_a_listing_that_breaks_the_contract_is_a_clear_failure(ansible, emulator):
    for body, _fragment in LIST_FAULTS.values():
        emulator.inject("GET", "/api_keys", [{"body": body}])

    run = ansible.playbook([{"name": case, INFO: {}, "ignore_errors": True} for case in LIST_FAULTS])

    for case, (_body, fragment) in LIST_FAULTS.items():
        message = run.task(case)["msg"]
        assert run.status(case) == "failed", (case, run.task(case))
        assert message.startswith("Listing API keys failed: malformed answer: HTTP 200 ") and fragment in message, (
            case,
            message,
        )
        report(TABLE, f"listing: {case}", message)
    assert emulator.pending_faults() == []


def test_a_key_read_that_is_no_object_is_a_clear_failure(ansible, emulator):
    emulator.seed_keys([{"name": KEY, "kind": "test", "status": "enabled"}])
    emulator.inject("GET", f"/api_keys/{KEY}", [{"body": ["not", "a", "key"]}, {"body": "a string"}])

    run = ansible.playbook(
        [
            {"name": "info", INFO: {"name": KEY}, "ignore_errors": True},
            {"name": "disable", MODULE: {"name": KEY, "state": "disabled"}, "ignore_errors": True},
        ]
    )

    for name in ("info", "disable"):
        assert run.status(name) == "failed"
        assert f"Reading API key '{KEY}' failed: malformed answer: HTTP 200 with a JSON" in run.task(name)["msg"]
    assert writes(emulator) == []


def first_page(emulator) -> dict:
    keys = sorted(emulator.keys().values(), key=lambda key: key["name"])
    return {"data": keys[:100], "count": len(keys), "_type": "API_KEY_LIST"}


def test_a_server_that_ignores_offset_stops_the_paging(ansible, emulator):
    emulator.seed_keys([{"name": f"page-{number:03d}", "kind": "test", "status": "enabled"} for number in range(150)])
    page = first_page(emulator)
    # Every listing request is answered with the first page: info twice, then the fleet's listing twice.
    emulator.inject("GET", "/api_keys", [{"body": page}] * 4)

    run = ansible.playbook(
        [
            {"name": "info", INFO: {"order_by": "name"}, "ignore_errors": True},
            {
                "name": "fleet",
                MODULE: {"kind": "test", "api_keys": [{"name": "page-new-1"}, {"name": "page-new-2"}]},
                "ignore_errors": True,
            },
        ]
    )

    for name in ("info", "fleet"):
        message = run.task(name)["msg"]
        assert run.status(name) == "failed", run.task(name)
        assert "page at offset 99 that holds only keys of earlier pages: the API seems to ignore offset" in message
    assert [
        entry["query"]["offset"] for entry in emulator.requests("GET", "/api_keys") if entry["path"] == "/api_keys"
    ] == [["0"], ["99"]] * 2
    assert writes(emulator) == []
    report(TABLE, "listing: server ignores offset", run.task("info")["msg"])


# -- point 14: a fleet of 10,000 bad names --------------------------------------------------------------------------


def test_a_fleet_of_ten_thousand_bad_names_lists_the_first_errors_and_counts_them(ansible, emulator):
    names = [{"name": f"Bad_Name_{number}"} for number in range(10000)]

    run = ansible.playbook([{"name": "fleet", MODULE: {"kind": "test", "api_keys": names}}], verbosity=0)

    message = run.task("fleet")["msg"]
    assert run.status("fleet") == "failed"
    assert message.startswith("10000 errors, the first 10 of them: api_keys[0].name must match ^[a-z0-9-]{3,30}$")
    assert message.endswith("; and 9990 more") and "api_keys[9].name" in message and "api_keys[10].name" not in message
    assert len(message) < 2000 and len(run.output) < 20000, (len(message), len(run.output))
    assert emulator.requests() == []
    report(TABLE, "fleet of 10,000 bad names", f"{len(message)} characters: {message[:80]}")


def test_a_very_long_name_is_quoted_short(ansible, emulator):
    run = ansible.playbook([{"name": "long name", MODULE: {"name": "x" * 100000, "kind": "test"}}], verbosity=0)

    message = run.task("long name")["msg"]
    assert run.status("long name") == "failed" and "(100000 characters)" in message and len(message) < 300, message
    assert emulator.requests() == []


def test_no_result_carries_a_minted_secret_of_a_hostile_create(ansible, emulator):
    # The emulator minted a secret for the key the body fault answered for: it must appear nowhere.
    emulator.inject("PUT", f"/api_keys/{KEY}", [{"body": CREATED_WITHOUT_SECRET}])
    run = ansible.playbook([create(ignore_errors=True)], module_defaults=FAST)
    assert run.status("create") == "failed"
    minted = [secret.value for secret in emulator.minted_secrets() if secret.owner == KEY]
    assert minted and not any(value in json.dumps(run.results) for value in minted)
