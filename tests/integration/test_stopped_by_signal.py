"""A fleet run stopped by a signal (a cancelled CI job, Ctrl-C) keeps the secrets of the keys it created."""

from __future__ import annotations

import json
import os
import signal
import stat
import time

import pytest

from harness import faulted_requests, report

MODULE = "fiskaly.management.fiskaly_api_key"
DELAY = 6.0  # long enough to stop the run while the third PUT waits for its answer


def wait_for(condition, limit: float = 60.0) -> None:
    stop = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < stop, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_fleet_stopped_by_a_signal_writes_the_secrets_of_the_keys_it_created(ansible, emulator, tmp_path, signum):
    names = ["stop-a", "stop-b", "stop-c", "stop-d"]
    secrets_file = tmp_path / "secrets.json"
    emulator.inject("PUT", "/api_keys/stop-c", [{"delay": DELAY}])
    args = {"kind": "live", "api_keys": [{"name": name} for name in names], "secrets_file": str(secrets_file)}

    spawned = ansible.spawn([{"name": "fleet", MODULE: args}], verbosity=1)
    wait_for(lambda: len(emulator.requests("PUT")) == 2)
    time.sleep(0.5)  # the PUT of stop-c is on its way, waiting for its delayed answer
    spawned.signal_group(signum)  # ansible-playbook's own process group: what a cancelled CI job or Ctrl-C reaches
    run = spawned.wait()

    assert run.rc != 0
    wait_for(secrets_file.exists, limit=DELAY + 10)  # written by the module, which ansible-playbook does not wait for
    secrets = json.loads(secrets_file.read_text())
    assert sorted(secrets) == ["stop-a", "stop-b"] and all(secrets.values()) and len(set(secrets.values())) == 2
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    assert "stop-d" not in emulator.keys()
    assert len(faulted_requests(emulator, 1, limit=DELAY + 10)) == 1  # the delayed PUT is over before the next test
    report("stopped by a signal", f"fleet stopped by {signal.Signals(signum).name} during a write",
           "secrets of the keys created before written to secrets_file (0600), no later key attempted")
