# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet at internet distance: its listing and writes several at a time (max_concurrent_requests), against the
emulator with latency, a rate limit and faults. What holds one request at a time holds here too: no write starts after
the first failure and those under way finish, every secret is kept, every key has an entry, a lost create is found,
retries and Retry-After apply, a signal keeps every secret, and threads whose token expired log in again once."""

from __future__ import annotations

import json
import signal
import threading
import time

import pytest

from harness import report, wait_for

MODULE = "fiskaly.management.fiskaly_api_key"
LATENCY = 0.1
AT_DISTANCE = [{"latency": LATENCY}]


def fleet_task(names, secrets_file, **options) -> dict:
    args = {
        "kind": "test",
        "fleet_result": "all",
        "api_keys": [{"name": name} for name in names],
        "secrets_file": str(secrets_file),
        **options,
    }
    return {"name": "fleet", MODULE: args, "register": "fleet", "no_log": True, "ignore_errors": True}


def peak_in_flight(entries: list[dict]) -> int:
    """The most requests the emulator was answering at one time."""
    events = sorted([(entry["started"], 1) for entry in entries] + [(entry["finished"], -1) for entry in entries])
    peak = current = 0
    for _at, step in events:
        current += step
        peak = max(peak, current)
    return peak


def api_requests(emulator, method: str | None = None) -> list[dict]:
    return [entry for entry in emulator.requests(method) if entry["path"].startswith("/api_keys")]


def minted_key_secrets(emulator) -> dict:
    return {secret.owner: secret.value for secret in emulator.minted_secrets() if secret.kind == "key_secret"}


@pytest.mark.parametrize("emulator", AT_DISTANCE, indirect=True)
def test_writes_go_several_at_a_time_never_more_than_the_option_allows(ansible, emulator, tmp_path):
    names = [f"many-{index:02d}" for index in range(40)]

    run = ansible.playbook([fleet_task(names, tmp_path / "secrets.json", max_concurrent_requests=8)], keep=("fleet",))

    result = run.kept("fleet")
    assert run.status("fleet") == "changed", result.get("msg")
    puts = api_requests(emulator, "PUT")
    assert len(puts) == 40 and 2 <= peak_in_flight(puts) <= 8
    assert [
        item["name"] for item in result["fleet"]
    ] == names  # entries in the order declared, whatever order the answers came in
    assert json.loads((tmp_path / "secrets.json").read_text()) == {
        name: minted_key_secrets(emulator)[name] for name in names
    }
    report(
        "concurrency",
        "40 creates, max_concurrent_requests 8, 100 ms latency",
        f"at most 8 in flight (peak {peak_in_flight(puts)}); entries in order",
    )


@pytest.mark.parametrize("emulator", AT_DISTANCE, indirect=True)
def test_one_request_at_a_time_when_the_option_is_one(ansible, emulator, tmp_path):
    emulator.seed_keys([{"name": f"seeded-{index:03d}", "kind": "test", "status": "enabled"} for index in range(250)])
    names = [f"one-{index}" for index in range(5)]

    run = ansible.playbook([fleet_task(names, tmp_path / "secrets.json", max_concurrent_requests=1)], keep=("fleet",))

    assert run.status("fleet") == "changed", run.kept("fleet").get("msg")
    assert peak_in_flight(api_requests(emulator)) == 1


@pytest.mark.parametrize("emulator", AT_DISTANCE, indirect=True)
def test_the_listing_reads_the_first_page_alone_then_the_rest_concurrently(ansible, emulator, tmp_path):
    seeded = [{"name": f"list-{index:04d}", "kind": "test", "status": "enabled"} for index in range(1000)]
    emulator.seed_keys(seeded)
    names = [record["name"] for record in seeded]

    run = ansible.playbook([fleet_task(names, tmp_path / "secrets.json")], keep=("fleet",))

    result = run.kept("fleet")
    assert run.status("fleet") == "ok" and result["summary"]["unchanged"] == 1000
    pages = [entry for entry in emulator.requests("GET") if entry["path"] == "/api_keys"]
    # Each page after the first from the last key of the page before: 0, 99, 198, ... 990.
    assert sorted(int(entry["query"]["offset"][0]) for entry in pages) == list(range(0, 1000, 99))
    first = min(pages, key=lambda entry: entry["started"])
    assert first["query"]["offset"] == ["0"]
    # Its count came first: no other page before its answer, which the latency delays (the emulator stamps "finished"
    # only after it wrote the answer, a moment the client may already have used).
    assert all(entry["started"] >= first["started"] + LATENCY for entry in pages if entry is not first)
    assert 2 <= peak_in_flight(pages) <= 10  # the default
    assert not writes_in(emulator)


def writes_in(emulator) -> list[dict]:
    return [entry for entry in emulator.requests() if entry["method"] in ("PUT", "PATCH")]


@pytest.mark.parametrize("emulator", AT_DISTANCE, indirect=True)
def test_after_the_first_failed_write_none_starts_and_those_under_way_finish(ansible, emulator, tmp_path):
    names = [f"stop-{index:02d}" for index in range(30)]
    emulator.inject("PUT", "/api_keys/stop-05", [{"status": 400}])  # not retried: the write fails at once

    run = ansible.playbook([fleet_task(names, tmp_path / "secrets.json", max_concurrent_requests=4)], keep=("fleet",))

    result = run.kept("fleet")
    assert run.status("fleet") == "failed" and "stop-05" in result["msg"] and "HTTP 400" in result["msg"]
    puts = api_requests(emulator, "PUT")
    failed = next(entry for entry in puts if entry["path"] == "/api_keys/stop-05")
    # The client learns of the failure a moment after the emulator answered: a write it started in that moment is fair.
    assert all(entry["started"] <= failed["finished"] + LATENCY / 2 for entry in puts), (
        "a write started after the first failure"
    )
    entries = {item["name"]: item for item in result["fleet"]}
    assert list(entries) == names  # an entry for every key
    sent = {entry["path"].rsplit("/", 1)[1] for entry in puts}
    created = sorted(sent - {"stop-05"})
    assert all(
        entries[name]["changed"] and entries[name]["action"] == "create" for name in created
    )  # those under way finished
    assert all(entries[name]["attempted"] is False for name in names if name not in sent)
    assert entries["stop-05"]["error"] and result["summary"]["failed"] == 1
    assert result["summary"]["created"] == len(created) and result["summary"]["not_attempted"] == 30 - len(sent)
    assert json.loads((tmp_path / "secrets.json").read_text()) == {
        name: minted_key_secrets(emulator)[name] for name in created
    }
    assert sorted(emulator.keys()) == created
    report(
        "concurrency",
        "a write fails among 4 in flight",
        "no write starts after it; those under way finish, their secrets kept; an entry per key",
    )


@pytest.mark.parametrize("emulator", AT_DISTANCE, indirect=True)
def test_lost_creates_retries_and_the_order_of_each_keys_requests_hold_under_concurrency(ansible, emulator, tmp_path):
    names = [f"lost-{index:02d}" for index in range(20)]
    emulator.inject("PUT", "/api_keys/lost-03", [{"status": 503}, {"status": 502}])  # retried, then created
    emulator.inject(
        "PUT", "/api_keys/lost-07", [{"lose_response": True}]
    )  # created, its answer lost: the retry meets 409

    run = ansible.playbook(
        [fleet_task(names, tmp_path / "secrets.json", max_concurrent_requests=6, retries=3)], keep=("fleet",)
    )

    result = run.kept("fleet")
    entries = {item["name"]: item for item in result["fleet"]}
    assert (
        run.status("fleet") == "failed"
        and "API key 'lost-07' was created, but its secret was not received" in result["msg"]
    )
    assert entries["lost-07"]["changed"] is True and "secret" not in entries["lost-07"]
    of_lost = [
        (entry["method"], entry["status"]) for entry in api_requests(emulator) if entry["path"] == "/api_keys/lost-07"
    ]
    assert of_lost[-3:] == [("PUT", 200), ("PUT", 409), ("GET", 200)]  # in order: the create, its repeat, the look-up
    retried = [entry for entry in api_requests(emulator, "PUT") if entry["path"] == "/api_keys/lost-03"]
    assert [entry["status"] for entry in retried] == [503, 502, 200][: len(retried)]
    assert all(
        earlier["started"] + LATENCY <= later["started"] for earlier, later in zip(retried, retried[1:])
    )  # each after the answer before
    secrets = json.loads((tmp_path / "secrets.json").read_text())
    minted = minted_key_secrets(emulator)
    assert secrets == {name: minted[name] for name in secrets} and "lost-07" not in secrets
    assert set(secrets) == {
        name
        for name, item in entries.items()
        if item.get("action") == "create" and "error" not in item and item["changed"]
    }
    report(
        "concurrency",
        "a lost create and retried 5xx among 6 in flight",
        "the lost create is found (409, look-up); each key's requests in order",
    )


@pytest.mark.parametrize("emulator", AT_DISTANCE, indirect=True)
def test_retry_after_holds_every_request_back(ansible, emulator, tmp_path):
    names = [f"wait-{index:02d}" for index in range(30)]
    emulator.inject("PUT", "/api_keys/wait-04", [{"status": 429, "retry_after": 2}])

    run = ansible.playbook([fleet_task(names, tmp_path / "secrets.json", max_concurrent_requests=5)], keep=("fleet",))

    assert run.status("fleet") == "changed", run.kept("fleet").get("msg")
    limited = next(entry for entry in emulator.requests() if entry["status"] == 429)
    # Those in flight when the 429 came finish; none starts until Retry-After is over (with a margin for the client's
    # clock).
    started_during_the_pause = [
        entry
        for entry in emulator.requests()
        if limited["finished"] + 0.3 < entry["started"] < limited["finished"] + 1.9
    ]
    assert started_during_the_pause == []
    assert len(emulator.keys()) == 30
    report(
        "concurrency",
        "a 429 with Retry-After 2 among 5 in flight",
        "no request starts until it is over; every key created",
    )


@pytest.mark.parametrize("emulator", [{"latency": 0.05, "rate_limit": 20}], indirect=True)
def test_a_rate_limit_lowers_the_concurrency_and_costs_no_retry(ansible, emulator, tmp_path):
    # One request at a time never exceeds 20 a second here, so with no retries at all that run would succeed:
    # so must the concurrent one, which meets 429s and must adapt to them.
    names = [f"rate-{index:02d}" for index in range(60)]

    run = ansible.playbook(
        [fleet_task(names, tmp_path / "secrets.json", max_concurrent_requests=10, retries=0)], keep=("fleet",)
    )

    result = run.kept("fleet")
    assert run.status("fleet") == "changed", result.get("msg")
    assert emulator.stats()["rate_limited"] > 0  # the test means something: 10 in flight did exceed the limit
    assert len(emulator.keys()) == 60 and result["summary"]["created"] == 60
    report(
        "concurrency",
        "60 creates, 10 in flight, 20 req/s limit, retries 0",
        f"succeeds; {emulator.stats()['rate_limited']} 429s absorbed",
    )


@pytest.mark.parametrize("emulator", AT_DISTANCE, indirect=True)
def test_threads_whose_token_expired_log_in_again_once_together(ansible, emulator, tmp_path):
    names = [f"relog-{index:02d}" for index in range(60)]

    def expire_mid_run():
        wait_for(lambda: len(api_requests(emulator, "PUT")) >= 10, limit=60)
        emulator.expire_access_tokens()

    expirer = threading.Thread(target=expire_mid_run, daemon=True)
    expirer.start()
    run = ansible.playbook([fleet_task(names, tmp_path / "secrets.json", max_concurrent_requests=10)], keep=("fleet",))
    expirer.join(timeout=60)

    assert run.status("fleet") == "changed", run.kept("fleet").get("msg")
    statuses = [entry["status"] for entry in api_requests(emulator, "PUT")]
    assert 401 in statuses  # the test means something: writes under way met the expired token
    assert len(emulator.requests("POST", "/auth")) == 2  # the first login, and one shared by every thread
    assert len(emulator.keys()) == 60
    report(
        "concurrency",
        "the token expires under 10 writes in flight",
        f"one shared login again ({statuses.count(401)} writes met 401)",
    )


@pytest.mark.parametrize("emulator", [{"latency": 0.3}], indirect=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_lets_the_writes_under_way_finish_and_keeps_every_secret(ansible, emulator, tmp_path, signum):
    names = [f"sig-{index:02d}" for index in range(40)]
    secrets_file = tmp_path / "secrets.json"

    spawned = ansible.spawn([fleet_task(names, secrets_file, max_concurrent_requests=5)], verbosity=1)
    wait_for(lambda: len(api_requests(emulator, "PUT")) >= 8, limit=60)
    stopped_at = time.monotonic()
    spawned.signal_group(signum)
    run = spawned.wait()

    assert run.rc != 0
    wait_for(lambda: secrets_file.stat().st_size > 0, limit=30)
    time.sleep(2 * 0.3)  # any write still under way is answered and logged
    secrets = json.loads(secrets_file.read_text())
    assert sorted(secrets) == sorted(emulator.keys()) and len(secrets) < 40
    assert secrets == {name: minted_key_secrets(emulator)[name] for name in secrets}
    assert all(entry["started"] < stopped_at + 1.0 for entry in api_requests(emulator, "PUT")), (
        "a write started after the signal"
    )
    report(
        "concurrency",
        f"{signal.Signals(signum).name} with 5 writes in flight",
        "those under way finish; every created key's secret in secrets_file",
    )
