"""Integration tests of fiskaly.management.fiskaly_api_key_info: real ansible-playbook runs against the emulator,
asserting on what the emulator was asked as well as on what the module returned."""

from __future__ import annotations

MODULE = "fiskaly.management.fiskaly_api_key_info"

# name, kind, status: a small account whose orders by name, kind and status all differ from the creation order.
ACCOUNT = [
    ("pos-delta", "live", "enabled"),
    ("pos-alpha", "test", "disabled"),
    ("pos-echo", "test", "enabled"),
    ("pos-charlie", "live", "disabled"),
    ("pos-bravo", "live", "enabled"),
]


def info_task(name: str, args: dict | None = None, **keywords) -> dict:
    return {"name": name, MODULE: args or {}, **keywords}


def seed_account(emulator) -> None:
    emulator.seed_keys([{"name": name, "kind": kind, "status": status, "metadata": {"till": name[4:]}} for name, kind, status in ACCOUNT])


def names(result: dict) -> list[str]:
    return [key["name"] for key in result["api_keys"]]


def listings(emulator) -> list[dict]:
    return [entry["query"] for entry in emulator.requests("GET", "/api_keys") if entry["path"] == "/api_keys"]


def assert_no_secret(run) -> None:
    for entry in run.results:
        for key in entry["result"].get("api_keys", []):
            assert "secret" not in key, key


def test_one_key_by_name_and_a_missing_name_gives_an_empty_list(ansible, emulator):
    seed_account(emulator)
    run = ansible.playbook([info_task("one", {"name": "pos-charlie"}), info_task("missing", {"name": "pos-nowhere"}),
                            info_task("one, filtered out", {"name": "pos-charlie", "status": ["enabled"]})])
    assert run.rc == 0, run.output
    one = run.task("one")
    assert one["changed"] is False and one["count"] == 1
    assert one["api_keys"] == [emulator.keys()["pos-charlie"]]
    assert run.status("missing") == "ok"
    assert run.task("missing")["api_keys"] == [] and run.task("missing")["count"] == 0
    assert run.task("one, filtered out")["api_keys"] == []
    # A name is one GET of that key, never a listing.
    assert [(entry["method"], entry["path"], entry["status"]) for entry in emulator.requests() if entry["path"] != "/auth"] == [
        ("GET", "/api_keys/pos-charlie", 200), ("GET", "/api_keys/pos-nowhere", 404), ("GET", "/api_keys/pos-charlie", 200)]
    assert_no_secret(run)


def test_filters_are_sent_as_repeated_query_parameters(ansible, emulator):
    seed_account(emulator)
    run = ansible.playbook([
        info_task("live", {"kind": ["live"], "order_by": "name"}),
        info_task("disabled", {"status": ["disabled"], "order_by": "name"}),
        info_task("both kinds enabled", {"kind": ["test", "live"], "status": ["enabled"], "order_by": "name"}),
    ])
    assert run.rc == 0, run.output
    by_name = sorted(ACCOUNT)
    assert names(run.task("live")) == [name for name, kind, _status in by_name if kind == "live"]
    assert names(run.task("disabled")) == [name for name, _kind, status in by_name if status == "disabled"]
    assert names(run.task("both kinds enabled")) == [name for name, _kind, status in by_name if status == "enabled"]
    assert run.task("disabled")["count"] == 2
    queries = listings(emulator)
    assert [(query.get("kind"), query.get("status")) for query in queries] == [
        (["live"], None), (None, ["disabled"]), (["test", "live"], ["enabled"])]
    assert_no_secret(run)


def test_order_by_and_order_sort_the_returned_keys(ansible, emulator):
    seed_account(emulator)
    run = ansible.playbook([info_task(f"{field} {order}", {"order_by": field, "order": order})
                            for field in ("name", "kind", "status") for order in ("asc", "desc")]
                           + [info_task("api order", {})])
    assert run.rc == 0, run.output
    position = {"name": 0, "kind": 1, "status": 2}
    for field in ("name", "kind", "status"):
        # The emulator breaks ties by name, as the module's paging needs a stable order.
        ascending = [record[0] for record in sorted(ACCOUNT, key=lambda record, at=position[field]: (record[at], record[0]))]
        assert names(run.task(f"{field} asc")) == ascending, field
        assert names(run.task(f"{field} desc")) == ascending[::-1], field
    assert names(run.task("api order")) == [record[0] for record in ACCOUNT]
    assert [(query.get("order_by"), query.get("order")) for query in listings(emulator)][:2] == [(["name"], ["asc"]), (["name"], ["desc"])]


def test_limit_and_offset_select_a_window(ansible, emulator):
    seed_account(emulator)
    run = ansible.playbook([info_task("window", {"order_by": "name", "limit": 2, "offset": 1}),
                            info_task("tail", {"order_by": "name", "offset": 3}),
                            info_task("past the end", {"order_by": "name", "offset": 10, "limit": 5})])
    assert run.rc == 0, run.output
    by_name = [record[0] for record in sorted(ACCOUNT)]
    assert names(run.task("window")) == by_name[1:3]
    assert names(run.task("tail")) == by_name[3:]
    assert names(run.task("past the end")) == []
    # count is the number of matches, whatever the window
    assert {run.task(name)["count"] for name in ("window", "tail", "past the end")} == {len(ACCOUNT)}
    assert [(query["limit"], query["offset"]) for query in listings(emulator)] == [(["2"], ["1"]), (["100"], ["3"]), (["5"], ["10"])]


def test_paging_returns_every_key_in_the_fewest_requests(ansible, emulator):
    emulator.seed_keys([{"name": f"key-{number:04d}", "kind": "live" if number % 2 else "test", "status": "enabled"} for number in range(250)])
    run = ansible.playbook([info_task("all"), info_task("window", {"offset": 30, "limit": 150})])
    assert run.rc == 0, run.output
    everything = run.task("all")
    assert everything["count"] == 250
    assert names(everything) == list(emulator.keys())
    assert names(run.task("window")) == list(emulator.keys())[30:180]
    # 250 keys are 3 pages; the window of 150 is 100 + 50; one login per task.
    assert [(query["limit"], query["offset"]) for query in listings(emulator)] == [
        (["100"], ["0"]), (["100"], ["100"]), (["100"], ["200"]), (["100"], ["30"]), (["50"], ["130"])]
    assert len(emulator.requests("POST", "/auth")) == 2
    assert len(emulator.requests()) == 7
    assert_no_secret(run)
