"""Integration tests of fiskaly.management.fiskaly_api_key: real ansible-playbook runs against the emulator,
asserting on the emulator's keys and request log as well as on the module's results."""

from __future__ import annotations

import json
import stat
from pathlib import Path

MODULE = "fiskaly.management.fiskaly_api_key"


def key_task(name: str, args: dict, **keywords) -> dict:
    return {"name": name, MODULE: args, **keywords}


def writes(emulator) -> list[tuple[str, str]]:
    """(method, path) of each PUT and PATCH the emulator received, in order."""
    return [(entry["method"], entry["path"]) for entry in emulator.requests() if entry["method"] in ("PUT", "PATCH")]


def seed(emulator, *records: tuple) -> None:
    """Seed keys from (name, kind, status[, metadata]) tuples."""
    emulator.seed_keys([{"name": record[0], "kind": record[1], "status": record[2], "metadata": record[3] if len(record) > 3 else {}}
                        for record in records])


def shown_state(emulator) -> dict:
    return {name: (key["kind"], key["status"], key["metadata"]) for name, key in emulator.keys().items()}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_returns_the_key_and_its_secret_once(ansible, emulator):
    run = ansible.playbook([key_task("create", {"name": "pos-berlin-01", "kind": "live", "metadata": {"store": "berlin"}})],
                           shows=("pos-berlin-01",))
    assert run.rc == 0, run.output
    result = run.task("create")
    assert result["changed"] is True
    assert isinstance(result["secret"], str) and len(result["secret"]) >= 16
    assert "secret" not in result["api_key"]
    assert {field: result["api_key"][field] for field in ("name", "kind", "status", "metadata")} == {
        "name": "pos-berlin-01", "kind": "live", "status": "enabled", "metadata": {"store": "berlin"}}
    stored = emulator.keys()["pos-berlin-01"]
    assert (stored["kind"], stored["status"], stored["metadata"]) == ("live", "enabled", {"store": "berlin"})
    assert result["api_key"]["_id"] == stored["_id"]
    assert writes(emulator) == [("PUT", "/api_keys/pos-berlin-01")]
    assert emulator.create_count("pos-berlin-01") == 1


def test_rerun_reports_no_change_and_sends_no_write(ansible, emulator):
    args = {"name": "pos-berlin-01", "kind": "live", "state": "enabled", "metadata": {"store": "berlin"}}
    first = ansible.playbook([key_task("create", args)], shows=("pos-berlin-01",))
    assert first.rc == 0, first.output
    emulator.clear_requests()
    run = ansible.playbook([key_task("again", args), key_task("again, present and no kind", {"name": "pos-berlin-01"})])
    assert run.rc == 0, run.output
    for name in ("again", "again, present and no kind"):
        assert run.task(name)["changed"] is False
        assert "secret" not in run.task(name)
        assert run.task(name)["api_key"]["status"] == "enabled"
    assert writes(emulator) == []
    assert emulator.requests(), "the reruns read the key"
    assert emulator.create_count("pos-berlin-01") == 1


def test_every_state_creates_a_missing_key_in_one_request(ansible, emulator):
    run = ansible.playbook([key_task(f"create {state}", {"name": f"key-{state}", "kind": "test", "state": state})
                            for state in ("present", "enabled", "disabled")], shows=("key-present", "key-enabled", "key-disabled"))
    assert run.rc == 0, run.output
    assert shown_state(emulator) == {"key-present": ("test", "enabled", {}), "key-enabled": ("test", "enabled", {}),
                                     "key-disabled": ("test", "disabled", {})}
    for state in ("present", "enabled", "disabled"):
        result = run.task(f"create {state}")
        assert result["changed"] is True and result["secret"]
        assert result["api_key"]["status"] == emulator.keys()[f"key-{state}"]["status"]
    # The status goes with the PUT: never a PUT then a PATCH.
    assert writes(emulator) == [("PUT", "/api_keys/key-present"), ("PUT", "/api_keys/key-enabled"), ("PUT", "/api_keys/key-disabled")]


def test_existing_key_is_patched_only_when_its_status_differs(ansible, emulator):
    # name: (seeded status, wanted state, expected status, expected change)
    cases = {
        "on-present": ("enabled", "present", "enabled", False),
        "off-present": ("disabled", "present", "disabled", False),
        "on-enabled": ("enabled", "enabled", "enabled", False),
        "on-disabled": ("enabled", "disabled", "disabled", True),
        "off-enabled": ("disabled", "enabled", "enabled", True),
        "off-disabled": ("disabled", "disabled", "disabled", False),
    }
    seed(emulator, *[(name, "live", seeded) for name, (seeded, *_rest) in cases.items()])
    run = ansible.playbook([key_task(name, {"name": name, "state": state}) for name, (_seeded, state, *_rest) in cases.items()])
    assert run.rc == 0, run.output
    for name, (_seeded, _state, status, changed) in cases.items():
        assert run.task(name)["changed"] is changed, name
        assert run.task(name)["api_key"]["status"] == status, name
        assert emulator.keys()[name]["status"] == status, name
        assert "secret" not in run.task(name)
    assert writes(emulator) == [("PATCH", "/api_keys/on-disabled"), ("PATCH", "/api_keys/off-enabled")]
    assert not emulator.stats()["creates"]


def test_check_mode_writes_nothing_and_reports_the_changes(ansible, emulator):
    seed(emulator, ("pos-on", "live", "enabled"), ("pos-off", "live", "disabled"))
    before = shown_state(emulator)
    run = ansible.playbook([
        key_task("create", {"name": "pos-new", "kind": "test", "state": "disabled"}),
        key_task("disable", {"name": "pos-on", "state": "disabled"}),
        key_task("unchanged", {"name": "pos-off", "state": "disabled"}),
        key_task("fleet", {"kind": "live", "state": "enabled", "api_keys": [
            {"name": "pos-fleet-new"}, {"name": "pos-off"}, {"name": "pos-on"}, {"name": "pos-on-too", "state": "disabled", "kind": "test"}]}),
    ], check=True)
    assert run.rc == 0, run.output
    created = run.task("create")
    assert created["changed"] is True and "secret" not in created
    assert {field: created["api_key"][field] for field in ("name", "kind", "status")} == {"name": "pos-new", "kind": "test", "status": "disabled"}
    assert run.task("disable")["changed"] is True and run.task("disable")["api_key"]["status"] == "disabled"
    assert run.task("unchanged")["changed"] is False
    fleet = run.task("fleet")
    assert fleet["changed"] is True
    assert [(item["name"], item["action"], item["changed"], item["api_key"]["status"]) for item in fleet["fleet"]] == [
        ("pos-fleet-new", "create", True, "enabled"), ("pos-off", "enable", True, "enabled"),
        ("pos-on", "none", False, "enabled"), ("pos-on-too", "create", True, "disabled")]
    assert fleet["summary"] == {"created": 2, "enabled": 1, "disabled": 0, "unchanged": 1, "failed": 0, "not_attempted": 0}
    assert not [item for item in fleet["fleet"] if "secret" in item]
    assert writes(emulator) == []
    assert shown_state(emulator) == before


def test_diff_shows_the_key_before_and_after_but_never_the_secret(ansible, emulator):
    seed(emulator, ("pos-on", "live", "enabled", {"store": "hamburg"}))
    # Without -v, the diff is the only thing printed about the result.
    run = ansible.playbook([
        key_task("create", {"name": "pos-diff-new", "kind": "test", "metadata": {"store": "munich"}}, register="created"),
        key_task("disable", {"name": "pos-on", "state": "disabled"}),
        {"name": "keep the secret for the test", "no_log": True, "diff": False,
         "ansible.builtin.copy": {"content": "{{ created.secret }}", "dest": str(ansible.workdir / "s"), "mode": "0600"}},
    ], diff=True, verbosity=0, shows=("pos-diff-new",))  # no no_log: the secret reaches the callbacks (before 2.22)
    assert run.rc == 0, run.output
    secret = (ansible.workdir / "s").read_text()
    assert secret and secret not in run.output
    created, disabled = run.task("create")["diff"], run.task("disable")["diff"]
    assert created["before"] == {}
    assert created["after"] == {"name": "pos-diff-new", "kind": "test", "status": "enabled", "metadata": {"store": "munich"}}
    assert disabled["before"] == {"name": "pos-on", "kind": "live", "status": "enabled", "metadata": {"store": "hamburg"}}
    assert disabled["after"] == {**disabled["before"], "status": "disabled"}
    assert "secret" not in json.dumps([created, disabled])
    # What the user reads: headers naming each key, the new status as an added line.
    assert "API key pos-diff-new" in run.stdout and "API key pos-on" in run.stdout
    assert '+    "status": "disabled"' in run.stdout and '-    "status": "enabled"' in run.stdout
    assert '+    "name": "pos-diff-new"' in run.stdout


def test_kind_and_metadata_drift_fail_naming_field_and_values(ansible, emulator):
    seed(emulator, ("pos-drift", "live", "enabled", {"store": "berlin"}))
    run = ansible.playbook([
        key_task("kind", {"name": "pos-drift", "kind": "test", "state": "disabled"}, ignore_errors=True),
        key_task("metadata", {"name": "pos-drift", "metadata": {"store": "munich"}, "state": "disabled"}, ignore_errors=True),
        key_task("fleet", {"api_keys": [{"name": "pos-fleet-ok", "kind": "test"}, {"name": "pos-drift", "kind": "test", "state": "disabled"}]},
                 ignore_errors=True),
    ])
    assert run.rc == 0, run.output
    kind, metadata, fleet = (run.task(name)["msg"] for name in ("kind", "metadata", "fleet"))
    assert all(run.status(name) == "failed" for name in ("kind", "metadata", "fleet"))
    assert "pos-drift" in kind and "kind" in kind and "'live'" in kind and "'test'" in kind, kind
    assert "pos-drift" in metadata and "metadata" in metadata and "berlin" in metadata and "munich" in metadata, metadata
    assert "api_keys[1]" in fleet and "'live'" in fleet and "'test'" in fleet, fleet
    # Checked before the first write: neither the status change nor the fleet's good key went out.
    assert writes(emulator) == []
    assert shown_state(emulator) == {"pos-drift": ("live", "enabled", {"store": "berlin"})}


def test_missing_key_without_kind_fails_before_writing(ansible, emulator):
    run = ansible.playbook([key_task("no kind", {"name": "pos-nokind", "state": "enabled"}, ignore_errors=True)])
    assert run.status("no kind") == "failed"
    message = run.task("no kind")["msg"]
    assert "pos-nokind" in message and "does not exist" in message and "kind is required" in message, message
    assert writes(emulator) == []
    assert emulator.keys() == {}


def fleet_args(secrets_file: Path) -> dict:
    return {"state": "enabled", "kind": "live", "secrets_file": str(secrets_file), "api_keys": [
        {"name": "fleet-new-1", "metadata": {"store": "munich"}},
        {"name": "fleet-new-2", "kind": "test", "state": "disabled"},
        {"name": "fleet-off"},
        {"name": "fleet-on", "state": "disabled"},
        {"name": "fleet-same", "state": "present"},
    ]}


def test_fleet_reconciles_in_one_listing_with_one_write_per_change(ansible, emulator):
    seed(emulator, ("fleet-off", "live", "disabled"), ("fleet-on", "live", "enabled"), ("fleet-same", "live", "disabled"))
    secrets_file = ansible.workdir / "fleet-secrets.json"
    run = ansible.playbook([key_task("fleet", fleet_args(secrets_file))], diff=True)
    assert run.rc == 0, run.output
    result = run.task("fleet")
    assert result["changed"] is True
    assert [(item["name"], item["action"], item["changed"], item["api_key"]["status"]) for item in result["fleet"]] == [
        ("fleet-new-1", "create", True, "enabled"), ("fleet-new-2", "create", True, "disabled"), ("fleet-off", "enable", True, "enabled"),
        ("fleet-on", "disable", True, "disabled"), ("fleet-same", "none", False, "disabled")]
    assert result["summary"] == {"created": 2, "enabled": 1, "disabled": 1, "unchanged": 1, "failed": 0, "not_attempted": 0}
    diffed = [entry["before"].get("name") or entry["after"]["name"] for entry in result["diff"]]
    assert diffed == ["fleet-new-1", "fleet-new-2", "fleet-off", "fleet-on"]
    assert shown_state(emulator) == {
        "fleet-off": ("live", "enabled", {}), "fleet-on": ("live", "disabled", {}), "fleet-same": ("live", "disabled", {}),
        "fleet-new-1": ("live", "enabled", {"store": "munich"}), "fleet-new-2": ("test", "disabled", {})}
    # 1 login + 1 listing page + one write for each of the four changes.
    assert [(entry["method"], entry["path"]) for entry in emulator.requests()] == [
        ("POST", "/auth"), ("GET", "/api_keys"), ("PUT", "/api_keys/fleet-new-1"), ("PUT", "/api_keys/fleet-new-2"),
        ("PATCH", "/api_keys/fleet-off"), ("PATCH", "/api_keys/fleet-on")]
    # Secrets went to the file only.
    assert mode(secrets_file) == 0o600
    secrets = json.loads(secrets_file.read_text())
    assert sorted(secrets) == ["fleet-new-1", "fleet-new-2"] and all(isinstance(value, str) and value for value in secrets.values())
    assert result["secrets_file"] == str(secrets_file)
    assert not [item for item in result["fleet"] if "secret" in item]
    for secret in secrets.values():
        assert secret not in run.output and secret not in json.dumps(run.results)

    emulator.clear_requests()
    content = secrets_file.read_text()
    rerun = ansible.playbook([key_task("fleet", fleet_args(secrets_file))])
    assert rerun.rc == 0, rerun.output
    assert rerun.task("fleet")["changed"] is False
    assert rerun.task("fleet")["summary"] == {"created": 0, "enabled": 0, "disabled": 0, "unchanged": 5, "failed": 0, "not_attempted": 0}
    assert writes(emulator) == []
    assert [(entry["method"], entry["path"]) for entry in emulator.requests()] == [("POST", "/auth"), ("GET", "/api_keys")]
    assert secrets_file.read_text() == content


def test_secret_file_holds_the_secret_and_is_never_overwritten(ansible, emulator):
    secret_file = ansible.workdir / "pos.secret"
    args = {"name": "pos-file-01", "kind": "live", "secret_file": str(secret_file)}
    run = ansible.playbook([key_task("create", args), key_task("rerun", args),
                            key_task("another key, same file", {**args, "name": "pos-file-02"}, ignore_errors=True)])
    assert run.rc == 0, run.output
    secret = secret_file.read_text()
    assert secret and mode(secret_file) == 0o600
    created = run.task("create")
    assert created["changed"] is True and "secret" not in created and created["secret_file"] == str(secret_file)
    assert secret not in run.output and secret not in json.dumps(run.results)
    rerun = run.task("rerun")
    assert rerun["changed"] is False and "secret_file" not in rerun and "secret" not in rerun
    # The file exists: fail before creating a key whose secret would be lost.
    assert run.status("another key, same file") == "failed"
    message = run.task("another key, same file")["msg"]
    assert "secret_file" in message and "already exists" in message, message
    assert secret_file.read_text() == secret
    assert writes(emulator) == [("PUT", "/api_keys/pos-file-01")]
    assert "pos-file-02" not in emulator.keys()
