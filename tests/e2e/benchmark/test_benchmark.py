# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Speed benchmark of fiskaly.management against the bundled emulator; prints figures, asserts nothing about timing.

A pytest test: it runs with the ansible-playbook next to the python that runs pytest (a venv with ansible-core,
requests and trustme), which also runs the modules unless FISKALY_TEST_PYTHON names another:

    /path/to/venv/bin/python -m pytest tests/e2e/benchmark -s                          # quick: one run each, no uri loop
    FISKALY_BENCHMARK=full /path/to/venv/bin/python -m pytest tests/e2e/benchmark -s   # about 5 minutes with the uri loop
    FISKALY_BENCHMARK="--keys 200 --uri-keys 50" ... python -m pytest tests/e2e/benchmark -s   # options as below

FISKALY_BENCHMARK is "quick" (the default), "full", or options: --keys, --sizes, --file-sizes, --runs, --uri-runs,
--uri-keys, --skip-uri, --quick, --python, --ansible-playbook (see parse_args). Options alone run the full form with
those changed. The figures print whether or not pytest captures output, but not from a pytest-xdist worker: run it
without workers (-n 0, or -p no:xdist), as the nox session benchmark does.

Rows 9 (issue 22) read the declaration with api_keys_file: at each --file-sizes size (quick: 1000) the no-op via the
module task and via the role against the floor (a playbook that loads the same file with include_vars and runs one
ansible.builtin.ping), and the size of the no-op's result as the task registers it, in JSON. Targets at 10,000 keys: at
most 1.3x the floor, a result under 10 KB.

On one ansible-core line: --ansible-playbook picks the ansible-playbook (the one next to the python running pytest by
default) and --python the interpreter the modules run with (FISKALY_TEST_PYTHON, else that same python); give both from
one venv, so that the modules run with a python that line supports. The nox sessions e2e-2.16, e2e-2.19, ... make a
venv per line with its ansible-core and what this test needs (`python3 noxfile.py -s e2e-2.16 --install-only` makes it
without running the suite; it stays in .nox/e2e-2-16), and pytest run with that venv's python takes both from it:

    FISKALY_BENCHMARK=full .nox/e2e-2-16/bin/python -m pytest tests/e2e/benchmark -s -p no:xdist
    FISKALY_BENCHMARK=full .nox/e2e-2-22/bin/python -m pytest tests/e2e/benchmark -s -p no:xdist

or, from the benchmark session's venv (ansible-core of the newest line) driving another line's:

    FISKALY_BENCHMARK="--ansible-playbook .nox/e2e-2-19/bin/ansible-playbook --python .nox/e2e-2-19/bin/python" python3 noxfile.py -R -s benchmark

The first line of the output names the ansible-playbook, its version, and the modules' python.

It starts its own emulator in this process and runs the checkout as fiskaly.management through the collections root
of tests/e2e/harness/collection_path.py, so nothing outside a temporary directory is touched. The test fails when a playbook
fails or a request count is wrong (a functional failure); timing targets only print PASS or MISS.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from benchmark.at_distance import measure_at_distance

from fiskaly_emulator import Emulator
from harness.collection_path import collections_root

TIMER_CALLBACK = '''
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Record each task's wall time, from its start to its last host result, into $BENCH_TIMER_FILE."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tasks = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        now = time.perf_counter()
        self._tasks.append({"name": task.get_name(), "start": now, "end": now})

    def _done(self, result=None, *_args, **_kwargs):
        if self._tasks:
            self._tasks[-1]["end"] = time.perf_counter()
        if result is not None and self._tasks and os.environ.get("BENCH_RESULT_BYTES"):
            # The result as a task registers it, as JSON: its size, what AWX stores as the job event.
            data = result.result if hasattr(type(result), "result") else result._result
            shown = {name: value for name, value in data.items() if not name.startswith("_ansible")}
            self._tasks[-1]["result_bytes"] = len(json.dumps(shown, default=str))

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = v2_runner_on_unreachable = _done

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TIMER_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(
                    [
                        {"name": t["name"], "seconds": t["end"] - t["start"], "result_bytes": t.get("result_bytes")}
                        for t in self._tasks
                    ],
                    handle,
                )
'''

# The two ways to declare the fleet (role.yml, module.yml) differ only in the play's name and the task's action.
FLEET_PLAY = """
          hosts: localhost
          gather_facts: false
          module_defaults:
            group/fiskaly.management.fiskaly: "{{ connection }}"
          tasks:
            - name: Declare the fleet"""


def fleet_playbook(name: str, action: str) -> str:
    """A playbook whose one play, called name, declares the fleet in one task: action, its YAML lines."""
    return f"""
        - name: {name}{FLEET_PLAY}{action}"""


PLAYBOOKS = {
    "empty.yml": """
        - name: Empty playbook
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Nothing
              ansible.builtin.meta: noop
    """,
    "ping.yml": """
        - name: One module execution that does nothing
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Ping
              ansible.builtin.ping:
    """,
    "role.yml": fleet_playbook(
        "Fleet through the role",
        """
              ansible.builtin.include_role:
                name: fiskaly.management.api_keys
              vars:
                api_keys_list: "{{ fleet }}"
                api_keys_secrets_dir: "{{ secrets_dir }}"
    """,
    ),
    "module.yml": fleet_playbook(
        "Fleet through one module task",
        """
              fiskaly.management.fiskaly_api_key:
                api_keys: "{{ fleet }}"
                secrets_file: "{{ secrets_dir }}/module-{{ lookup('ansible.builtin.password', '/dev/null', length=16, chars=['digits']) }}.json"
    """,
    ),
    # api_keys_file: the declaration read once, on the controller, by the module's action plugin (issue 22). Its floor
    # loads the same file as a vars file does and runs one module that does nothing.
    "file_floor.yml": """
        - name: The declaration loaded from its file, and one module execution that does nothing
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Load the declaration
              ansible.builtin.include_vars:
                file: "{{ fleet_file }}"
            - name: Ping
              ansible.builtin.ping:
    """,
    "file_module.yml": fleet_playbook(
        "Fleet read from api_keys_file by one module task",
        """
              fiskaly.management.fiskaly_api_key:
                api_keys_file: "{{ fleet_file }}"
                secrets_file: "{{ secrets_dir }}/module-{{ lookup('ansible.builtin.password', '/dev/null', length=16, chars=['digits']) }}.json"
    """,
    ),
    "file_role.yml": fleet_playbook(
        "Fleet read from api_keys_file through the role",
        """
              ansible.builtin.include_role:
                name: fiskaly.management.api_keys
              vars:
                api_keys_file: "{{ fleet_file }}"
                api_keys_secrets_dir: "{{ secrets_dir }}"
    """,
    ),
    "uri_loop.yml": """
        - name: Fleet read with ansible.builtin.uri, one GET per key
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Log in
              ansible.builtin.uri:
                url: "{{ connection.base_url }}/auth"
                method: POST
                body_format: json
                body:
                  api_key: "{{ connection.api_key }}"
                  api_secret: "{{ connection.api_secret }}"
                ca_path: "{{ connection.ca_path }}"
              register: login
              no_log: true
            - name: Read each key
              ansible.builtin.uri:
                url: "{{ connection.base_url }}/api_keys/{{ item.name }}"
                headers:
                  Authorization: "Bearer {{ login.json.access_token }}"
                ca_path: "{{ connection.ca_path }}"
              loop: "{{ fleet }}"
              loop_control:
                label: "{{ item.name }}"
    """,
    "info_one.yml": """
        - name: One fiskaly_api_key_info task
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Read one key
              fiskaly.management.fiskaly_api_key_info:
                name: "{{ key_name }}"
                access_token: "{{ access_token }}"
                base_url: "{{ connection.base_url }}"
                ca_path: "{{ connection.ca_path }}"
    """,
    "uri_one.yml": """
        - name: One ansible.builtin.uri task
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Read one key
              ansible.builtin.uri:
                url: "{{ connection.base_url }}/api_keys/{{ key_name }}"
                headers:
                  Authorization: "Bearer {{ access_token }}"
                ca_path: "{{ connection.ca_path }}"
    """,
}

# Used as ansible_python_interpreter by the --sizes runs: runs the module with the real python as its child and
# records the child's peak RSS (the module process; the wrapper's own few MB are not counted).
RSS_WRAPPER = """#!{python}
import os, resource, subprocess, sys
code = subprocess.call([{python!r}] + sys.argv[1:])
with open(os.environ["BENCH_RSS_FILE"], "a", encoding="utf-8") as handle:
    handle.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) + "\\n")
sys.exit(code)
"""

BASELINE_LOOP = """
import json, sys, time
import requests
base_url, ca_path, api_key, api_secret, fleet_file = sys.argv[1:6]
fleet = json.load(open(fleet_file))["fleet"]
start = time.perf_counter()
with requests.Session() as session:
    token = session.post(f"{base_url}/auth", json={"api_key": api_key, "api_secret": api_secret}, verify=ca_path).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for key in fleet:
        body = {"kind": key["kind"], "status": key["state"], "metadata": key["metadata"]}
        session.put(f"{base_url}/api_keys/{key['name']}", json=body, headers=headers, verify=ca_path).raise_for_status()
print(time.perf_counter() - start)
"""


@dataclass
class Run:
    """One playbook run: wall seconds, the emulator's request log, and the task timings."""

    seconds: float
    requests: list[dict[str, Any]]
    tasks: list[dict[str, Any]] = field(default_factory=list)

    def count(self, method: str | None = None) -> int:
        return sum(1 for entry in self.requests if method is None or entry["method"] == method)

    def task_seconds(self, name: str) -> float:
        return sum(task["seconds"] for task in self.tasks if task["name"].endswith(name))

    def result_bytes(self, name: str) -> int | None:
        """The size of the result of the last task called name, as JSON (BENCH_RESULT_BYTES runs only)."""
        sizes = [task.get("result_bytes") for task in self.tasks if task["name"].endswith(name)]
        return sizes[-1] if sizes else None


@dataclass
class Row:
    measure: str
    figure: str
    target: str
    verdict: str  # PASS, MISS or "" (information only)


class FunctionalError(RuntimeError):
    """A playbook failed or the API saw the wrong requests: the figures would mean nothing."""


class Bench:  # pylint: disable=too-many-instance-attributes
    """Runs the measurements."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.python = args.python
        self.playbook_bin = args.ansible_playbook
        self.emulator = Emulator("127.0.0.1", 0, tls_dir=work / "tls", access_token_ttl=3600).start()
        self.rows: list[Row] = []
        self.fleet = [
            {"name": f"bench-{index:05d}", "kind": "live", "state": "enabled", "metadata": {"store": f"s{index % 50}"}}
            for index in range(args.keys)
        ]
        self._setup_files()

    def close(self) -> None:
        self.emulator.stop()

    # Setup

    def _setup_files(self) -> None:
        (self.work / "callback_plugins").mkdir()
        (self.work / "callback_plugins" / "bench_timer.py").write_text(TIMER_CALLBACK, encoding="utf-8")
        (self.work / "secrets").mkdir(mode=0o700)
        for name, text in PLAYBOOKS.items():
            (self.work / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        (self.work / "inventory.ini").write_text(
            f"localhost ansible_connection=local ansible_python_interpreter={self.python}\n", encoding="utf-8"
        )
        wrapper = self.work / "rss-python"
        wrapper.write_text(RSS_WRAPPER.format(python=self.python), encoding="utf-8")
        wrapper.chmod(0o755)
        (self.work / "inventory-rss.ini").write_text(
            f"localhost ansible_connection=local ansible_python_interpreter={wrapper}\n", encoding="utf-8"
        )
        connection = {
            "base_url": self.emulator.base_url,
            "ca_path": self.emulator.ca_path,
            "api_key": self.emulator.api_key,
            "api_secret": self.emulator.api_secret,
        }
        common = {"connection": connection, "secrets_dir": str(self.work / "secrets")}
        self._write_vars("vars-empty.json", {})
        self._write_vars("vars-fleet.json", {**common, "fleet": self.fleet})
        self._write_vars("vars-uri.json", {**common, "fleet": self.fleet[: self.args.uri_keys or self.args.keys]})
        self.env = {name: value for name, value in os.environ.items() if not name.startswith(("FISKALY_", "ANSIBLE_"))}
        self.env.update(
            {
                "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
                "ANSIBLE_CALLBACK_PLUGINS": str(self.work / "callback_plugins"),
                "ANSIBLE_CALLBACKS_ENABLED": "bench_timer",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_LOCALHOST_WARNING": "0",
                "ANSIBLE_LOCAL_TEMP": str(self.work / "ansible-local"),
                "ANSIBLE_REMOTE_TEMP": str(self.work / "ansible-remote"),
            }
        )

    def _write_vars(self, name: str, data: dict[str, Any]) -> None:
        (self.work / name).write_text(json.dumps(data), encoding="utf-8")

    # Running

    def playbook(
        self,
        name: str,
        vars_file: str,
        extra: dict[str, Any] | None = None,
        inventory: str | None = None,
        result_bytes: bool = False,
    ) -> Run:
        """Run one playbook; the emulator's request log covers exactly this run. inventory: another one in the work dir."""
        timer_file = self.work / "timer.json"
        timer_file.unlink(missing_ok=True)
        command = [
            self.playbook_bin,
            "-i",
            str(self.work / "inventory.ini"),
            "-e",
            f"@{self.work / vars_file}",
            str(self.work / name),
        ]
        if extra:
            command[-1:-1] = ["-e", json.dumps(extra)]
        env = {**self.env, "BENCH_TIMER_FILE": str(timer_file)}
        if result_bytes:
            env["BENCH_RESULT_BYTES"] = "1"
        if inventory is not None:
            command[2] = str(self.work / inventory)
            env["BENCH_RSS_FILE"] = str(self.work / "rss.txt")
        self.emulator.clear_requests()
        start = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=self.work, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise FunctionalError(
                f"{name} failed (rc {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
            )
        tasks = json.loads(timer_file.read_text(encoding="utf-8")) if timer_file.exists() else []
        return Run(seconds, self.emulator.requests(), tasks)

    def repeat(
        self,
        label: str,
        runs: int,
        prepare,
        name: str,
        vars_file: str,
        extra: dict[str, Any] | None = None,
        inventory: str | None = None,
        result_bytes: bool = False,
    ) -> list[Run]:
        results = []
        for index in range(runs):
            if prepare is not None:
                prepare()
            results.append(self.playbook(name, vars_file, extra, inventory, result_bytes))
            print(
                f"  {label} run {index + 1}/{runs}: {results[-1].seconds:.2f} s, {results[-1].count()} requests",
                flush=True,
            )
        return results

    def seed_fleet(self, fleet: list[dict[str, Any]] | None = None) -> None:
        self.emulator.reset()
        fleet = self.fleet if fleet is None else fleet
        self.emulator.seed_keys(
            [
                {"name": key["name"], "kind": key["kind"], "status": key["state"], "metadata": key["metadata"]}
                for key in fleet
            ]
        )

    def row(self, measure: str, figure: str, target: str = "", passed: bool | None = None) -> None:
        self.rows.append(Row(measure, figure, target, "" if passed is None else ("PASS" if passed else "MISS")))

    # Measurements

    def measure(self) -> None:
        args, keys = self.args, self.args.keys
        print(f"ansible-playbook: {self.playbook_bin} ({self.version()}); modules run with {self.python}")
        print(f"{keys} keys, {args.runs} runs each (median)", flush=True)
        self.playbook("empty.yml", "vars-empty.json")  # warm-up: byte code and file caches
        empty = median(self.repeat("empty playbook", args.runs, None, "empty.yml", "vars-empty.json"))
        self.row("1. empty playbook wall time", f"{empty:.2f} s")
        # What no fleet task can go below: ansible-playbook loading the declaration of the keys,
        # and one execution of a module that does nothing.
        declared = median(
            self.repeat(f"empty playbook loading the {keys} keys", args.runs, None, "empty.yml", "vars-fleet.json")
        )
        self.row(
            f"1. empty playbook that loads the {keys}-key declaration", f"{declared:.2f} s = {declared / empty:.2f}x"
        )
        ping = median(self.repeat("one ansible.builtin.ping task", args.runs, None, "ping.yml", "vars-empty.json"))
        self.row("1. one ansible.builtin.ping task (one module execution)", f"{ping:.2f} s = {ping / empty:.2f}x")
        floor = declared + ping - empty
        self.row(
            "1. floor of a fleet task: declaration + one module execution", f"{floor:.2f} s = {floor / empty:.2f}x"
        )

        self.seed_fleet()
        noop = {}
        for how, book in (("role", "role.yml"), ("module task", "module.yml")):
            self.playbook(book, "vars-fleet.json")  # warm-up, not counted
            runs = self.repeat(f"no-op via {how}", args.runs, None, book, "vars-fleet.json")
            writes = max(run.count("PUT") + run.count("PATCH") for run in runs)
            if writes:
                raise FunctionalError(f"the no-op run via the {how} sent {writes} writes")
            noop[how] = median(runs)
            requests = max(run.count() for run in runs)
            self.row(f"2. no-op {keys} keys via {how}: HTTP requests", str(requests), "<= 12", requests <= 12)
            self.row(
                f"2. no-op {keys} keys via {how}: wall vs empty playbook",
                f"{noop[how]:.2f} s = {noop[how] / empty:.2f}x",
                "<= 1.5x",
                noop[how] / empty <= 1.5,
            )
            self.row(
                f"2. no-op {keys} keys via {how}: above the floor",
                f"+{noop[how] - floor:.2f} s = {noop[how] / floor:.2f}x",
                "(info)",
            )
        self.measure_sizes(empty, ping)
        self.measure_file_sizes()
        measure_at_distance(self, args.distance_creates, args.distance_listed)
        self.seed_fleet()

        loop = self.measure_baseline_loop()
        for how, book in (("module task", "module.yml"), ("role", "role.yml")):
            self.measure_create(how, book, empty, loop)
        self.measure_uri_loop(empty, noop["role"])
        self.measure_one_task(empty)

    def measure_sizes(self, empty: float, ping: float) -> None:
        """At each --sizes fleet size, the no-op against its floor, via the module task and the role; the module task's
        wall time per key, and the module's peak RSS."""
        per_key = {}
        for size in self.args.sizes:
            fleet = [
                {
                    "name": f"size-{index:06d}",
                    "kind": "live",
                    "state": "enabled",
                    "metadata": {"store": f"s{index % 50}"},
                }
                for index in range(size)
            ]
            self.seed_fleet(fleet)
            self._write_vars("vars-size.json", {**self.common_vars, "fleet": fleet})
            declared = median(
                self.repeat(f"empty playbook loading {size} keys", self.args.runs, None, "empty.yml", "vars-size.json")
            )
            floor = declared + ping - empty
            (self.work / "rss.txt").unlink(missing_ok=True)
            runs = self.repeat(
                f"no-op via module task, {size} keys",
                self.args.runs,
                None,
                "module.yml",
                "vars-size.json",
                inventory="inventory-rss.ini",
            )
            role = median(
                self.repeat(f"no-op via role, {size} keys", self.args.runs, None, "role.yml", "vars-size.json")
            )
            if max(run.count("PUT") + run.count("PATCH") for run in runs):
                raise FunctionalError(f"the no-op run over {size} keys sent writes")
            module = median(runs)
            self.row(f"8. no-op {size} keys: floor (declaration + one ping)", f"{floor:.2f} s", "(info)")
            self.row(
                f"8. no-op {size} keys via module task vs the floor",
                f"{module:.2f} s = {module / floor:.2f}x",
                "<= 1.3x",
                module / floor <= 1.3,
            )
            self.row(
                f"8. no-op {size} keys via role vs via module task",
                f"{role:.2f} s = {role / module:.2f}x",
                "<= 1.15x",
                role / module <= 1.15,
            )
            task = statistics.median(run.task_seconds("Declare the fleet") for run in runs)
            per_key[size] = task / size
            rss = max(int(line) for line in (self.work / "rss.txt").read_text(encoding="utf-8").split())
            self.row(
                f"8. no-op {size} keys via module task: task wall / keys (callback)",
                f"{per_key[size] * 1000:.3f} ms per key ({task:.2f} s)",
                "(info)",
            )
            self.row(f"8. no-op {size} keys via module task: module peak RSS", f"{rss / 1024:.0f} MB", "(info)")
        sizes = sorted(per_key)
        for small, large in zip(sizes, sizes[1:]):
            ratio = per_key[large] / per_key[small]
            self.row(f"8. task wall per key, {large} vs {small} keys", f"{ratio:.2f}x", "<= 1.2x", ratio <= 1.2)
        (self.work / "vars-size.json").write_text("{}", encoding="utf-8")

    def measure_file_sizes(self) -> None:
        """At each --file-sizes fleet size, the declaration read from api_keys_file: the no-op via the module task and
        via the role against its floor (a playbook that loads the same file with include_vars and runs one ping), and
        the size of the no-op's result as the task registers it, in JSON."""
        for size in self.args.file_sizes:
            fleet = [
                {
                    "name": f"file-{index:06d}",
                    "kind": "live",
                    "state": "enabled",
                    "metadata": {"store": f"s{index % 50}"},
                }
                for index in range(size)
            ]
            self.seed_fleet(fleet)
            # The shape include_vars takes (a mapping), which api_keys_file takes too.
            fleet_file = self.work / f"fleet-{size}.json"
            fleet_file.write_text(json.dumps({"api_keys": fleet}), encoding="utf-8")
            self._write_vars("vars-file.json", {**self.common_vars, "fleet_file": str(fleet_file)})
            self.playbook("file_floor.yml", "vars-file.json")  # warm-up: the file in the page cache
            floor = median(
                self.repeat(
                    f"include_vars + ping, {size} keys", self.args.runs, None, "file_floor.yml", "vars-file.json"
                )
            )
            self.row(f"9. api_keys_file {size} keys: floor (include_vars of the file + one ping)", f"{floor:.2f} s")
            ways = [
                ("module task", "file_module.yml", "Declare the fleet"),
                ("role", "file_role.yml", "Reconcile the declared API keys"),
            ]
            for how, book, task in ways:
                runs = self.repeat(
                    f"no-op via {how} from api_keys_file, {size} keys",
                    self.args.runs,
                    None,
                    book,
                    "vars-file.json",
                    result_bytes=True,
                )
                writes = max(run.count("PUT") + run.count("PATCH") + run.count("DELETE") for run in runs)
                self.expect(writes <= 0, f"the no-op via the {how} from api_keys_file over {size} keys sent writes")
                wall = median(runs)
                at_target = size == 10000
                requests = max(run.count() for run in runs)
                self.row(f"9. api_keys_file {size} keys: no-op via {how}: HTTP requests", str(requests), "(info)")
                self.row(
                    f"9. api_keys_file {size} keys: no-op via {how} vs the floor",
                    f"{wall:.2f} s = {wall / floor:.2f}x",
                    "<= 1.3x" if at_target else "(info)",
                    wall / floor <= 1.3 if at_target else None,
                )
                sizes = [run.result_bytes(task) for run in runs]
                self.expect(all(sizes), f"no result size recorded for the task {task!r} via the {how}")
                result = max(int(size_) for size_ in sizes if size_)
                self.row(
                    f"9. api_keys_file {size} keys: no-op via {how}: result size (JSON)",
                    f"{result} bytes",
                    "< 10 KB" if at_target else "(info)",
                    result < 10 * 1024 if at_target else None,
                )
        (self.work / "vars-file.json").write_text("{}", encoding="utf-8")

    def write_vars(self, name: str, data: dict[str, Any]) -> None:
        self._write_vars(name, data)

    @property
    def common_vars(self) -> dict[str, Any]:
        """What every fleet playbook's vars file holds besides the fleet."""
        return {"connection": self._connection(), "secrets_dir": str(self.work / "secrets")}

    @staticmethod
    def expect(condition: bool, message: str) -> None:
        """A functional check: the figures of a run that did the wrong thing would mean nothing."""
        if not condition:
            raise FunctionalError(message)

    def _connection(self) -> dict[str, str]:
        return {
            "base_url": self.emulator.base_url,
            "ca_path": self.emulator.ca_path,
            "api_key": self.emulator.api_key,
            "api_secret": self.emulator.api_secret,
        }

    def measure_baseline_loop(self) -> float:
        """What the create target is measured against: a plain requests loop doing the same PUTs."""
        loops = []
        for _run in range(self.args.runs):
            self.emulator.reset()
            loops.append(self.baseline_loop())
        loop = statistics.median(loops)
        self.row(f"3. python requests loop, {self.args.keys} PUTs, one Session", f"{loop:.2f} s")
        return loop

    def measure_create(self, how: str, book: str, empty: float, loop: float) -> None:
        keys = self.args.keys
        runs = self.repeat(f"create via {how}", self.args.runs, self.emulator.reset, book, "vars-fleet.json")
        for run in runs:
            if run.count("PUT") != keys:
                raise FunctionalError(f"creating {keys} keys via {how} sent {run.count('PUT')} PUTs")
        created = median(runs)
        handler = self.emulator.stats()  # counters since the last reset: exactly the last create run
        others = max(run.count() - run.count("PUT") for run in runs)
        baseline = empty + loop
        self.row(f"3. create {keys} keys via {how}: PUT requests", str(runs[-1].count("PUT")), f"= {keys}", True)
        self.row(f"3. create {keys} keys via {how}: other requests", str(others), "<= 12", others <= 12)
        self.row(
            f"3. create {keys} keys via {how}: wall vs empty + loop",
            f"{created:.2f} s vs {baseline:.2f} s = {created / baseline:.2f}x",
            "<= 2x",
            created / baseline <= 2,
        )
        per_thousand = handler["handler_seconds"] / max(handler["requests"], 1) * 1000
        self.row(
            f"6. emulator handler CPU time ({handler['requests']} requests of a create run via {how})",
            f"{handler['handler_seconds']:.3f} s = {per_thousand:.3f} s per 1000",
            "< 1 s per 1000",
            per_thousand < 1,
        )

    def baseline_loop(self) -> float:
        done = subprocess.run(
            [
                self.python,
                "-c",
                BASELINE_LOOP,
                self.emulator.base_url,
                self.emulator.ca_path,
                self.emulator.api_key,
                self.emulator.api_secret,
                str(self.work / "vars-fleet.json"),
            ],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise FunctionalError(f"the requests loop failed:\n{done.stderr[-2000:]}")
        return float(done.stdout.strip())

    def measure_uri_loop(self, empty: float, noop_role: float) -> None:
        keys = self.args.keys
        if self.args.skip_uri:
            self.row("4. uri loop no-op vs role no-op: speed-up", "skipped (--skip-uri/--quick)", ">= 20x")
            return
        self.seed_fleet()
        subset = self.args.uri_keys or keys
        runs = self.repeat(f"uri loop over {subset} keys", self.args.uri_runs, None, "uri_loop.yml", "vars-uri.json")
        if max(run.count("GET") for run in runs) != subset:
            raise FunctionalError("the uri loop did not send one GET per key")
        measured = median(runs)
        if subset == keys:
            uri, how = measured, "measured"
        else:
            uri, how = empty + (measured - empty) * keys / subset, f"EXTRAPOLATED from {subset} keys ({measured:.1f} s)"
        self.row(f"4. uri loop, {keys} GETs: wall", f"{uri:.1f} s ({how})")
        self.row(
            "4. uri loop no-op vs role no-op: speed-up", f"{uri / noop_role:.1f}x", ">= 20x", uri / noop_role >= 20
        )

    def measure_one_task(self, empty: float) -> None:
        self.seed_fleet()
        extra = {"access_token": self.emulator.issue_token(), "key_name": self.fleet[0]["name"]}
        for book in ("info_one.yml", "uri_one.yml"):
            self.playbook(book, "vars-fleet.json", extra)  # warm-up, not counted
        info = self.repeat("one info task", self.args.runs, None, "info_one.yml", "vars-fleet.json", extra)
        uri = self.repeat("one uri task", self.args.runs, None, "uri_one.yml", "vars-fleet.json", extra)
        for run in info + uri:
            if run.count() != 1:
                raise FunctionalError(f"one read task sent {run.count()} requests")
        info_wall, uri_wall = median(info), median(uri)
        self.row(
            "5. one info task vs one uri task: whole playbook",
            f"{info_wall:.2f} s vs {uri_wall:.2f} s = {info_wall / uri_wall:.2f}x",
            "<= 1.2x",
            info_wall / uri_wall <= 1.2,
        )
        info_task = statistics.median(run.task_seconds("Read one key") for run in info)
        uri_task = statistics.median(run.task_seconds("Read one key") for run in uri)
        self.row(
            "5. one info task vs one uri task: task only (callback)",
            f"{info_task * 1000:.0f} ms vs {uri_task * 1000:.0f} ms = {info_task / uri_task:.2f}x",
            "(info)",
        )
        self.row(
            "5. ... task only, as playbook minus empty playbook",
            f"{(info_wall - empty) * 1000:.0f} ms vs {(uri_wall - empty) * 1000:.0f} ms = {(info_wall - empty) / max(uri_wall - empty, 1e-3):.2f}x",
            "(info)",
        )

    def version(self) -> str:
        done = subprocess.run(
            [self.playbook_bin, "--version"], env=self.env, capture_output=True, text=True, check=False
        )
        return done.stdout.splitlines()[0] if done.stdout else "unknown version"

    def report(self) -> None:
        width = max(len(row.measure) for row in self.rows)
        fig = max(len(row.figure) for row in self.rows)
        print()
        print(f"{'measure':<{width}}  {'figure':<{fig}}  {'target':<15}  result")
        print("-" * (width + fig + 30))
        for row in self.rows:
            print(f"{row.measure:<{width}}  {row.figure:<{fig}}  {row.target:<15}  {row.verdict}")
        print()
        for row in self.rows:
            if row.verdict:
                print(f"{row.verdict}: {row.measure}: {row.figure} (target {row.target})")


def median(runs: list[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="FISKALY_BENCHMARK", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--keys", type=int, default=1000, help="fleet size (default: %(default)s)")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",") if size],
        default=[1000, 10000, 50000],
        help="fleet sizes of the no-op against its floor, per key, and peak RSS, comma-separated (default: 1000,10000,50000; --quick: 200)",
    )
    parser.add_argument(
        "--file-sizes",
        type=lambda text: [int(size) for size in text.split(",") if size],
        default=[1000, 10000, 50000],
        help="fleet sizes of the no-op whose declaration api_keys_file reads, against its floor, and its result's size, "
        "comma-separated (default: 1000,10000,50000; --quick: 1000)",
    )
    parser.add_argument(
        "--distance-creates",
        type=int,
        default=1000,
        help="keys created at 50 ms latency (default: %(default)s; --quick: 100)",
    )
    parser.add_argument(
        "--distance-listed",
        type=int,
        default=10000,
        help="keys of the no-op at 50 ms latency (default: %(default)s; --quick: 1000)",
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each measurement, the median counts (default: %(default)s)"
    )
    parser.add_argument("--uri-runs", type=int, default=1, help="runs of the slow uri loop (default: %(default)s)")
    parser.add_argument(
        "--uri-keys",
        type=int,
        default=0,
        help="measure the uri loop over this many keys only and EXTRAPOLATE to --keys (default: measure all)",
    )
    parser.add_argument("--skip-uri", action="store_true", help="skip the uri loop (minutes at 1000 keys)")
    parser.add_argument("--quick", action="store_true", help="CI smoke: one run each, no uri loop")
    parser.add_argument(
        "--python",
        default=os.environ.get("FISKALY_TEST_PYTHON", sys.executable),
        help="interpreter for the modules (default: FISKALY_TEST_PYTHON, else the one running pytest)",
    )
    parser.add_argument(
        "--ansible-playbook",
        default=str(Path(sys.executable).parent / "ansible-playbook"),
        help="ansible-playbook to run (default: the one next to this python)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.skip_uri, args.sizes, args.distance_creates, args.distance_listed = 1, True, [200], 100, 1000
        args.file_sizes = [1000]
    if any(size < 1 for size in args.sizes + args.file_sizes):
        parser.error("--sizes and --file-sizes must be positive")
    if args.keys < 1 or args.runs < 1 or args.uri_runs < 1 or not 0 <= args.uri_keys <= args.keys:
        parser.error("--keys, --runs and --uri-runs must be >= 1, and --uri-keys between 0 and --keys")
    if not shutil.which(args.ansible_playbook):
        parser.error(
            f"no ansible-playbook at {args.ansible_playbook}: run this with a venv's python or pass --ansible-playbook"
        )
    # The playbooks run in a temporary directory: a relative path given (.nox/e2e-2-16/bin/...) is the checkout's.
    # Not resolved: a venv's python is a symbolic link that must stay the venv's.
    args.ansible_playbook = (
        os.path.abspath(args.ansible_playbook) if os.sep in args.ansible_playbook else args.ansible_playbook
    )
    args.python = os.path.abspath(args.python) if os.sep in args.python else args.python
    return args


def benchmark_args() -> argparse.Namespace:
    """The options FISKALY_BENCHMARK selects: quick (the default), full, or option words."""
    selected = os.environ.get("FISKALY_BENCHMARK", "quick").strip()
    argv = {"quick": ["--quick"], "full": []}.get(selected)
    try:
        return parse_args(shlex.split(selected) if argv is None else argv)
    except SystemExit:
        pytest.fail(
            f"FISKALY_BENCHMARK={selected!r}: not quick, full or valid options (see the message above)", pytrace=False
        )
    raise AssertionError("unreachable")


def test_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Measure and print the figures; fail only on a failed playbook or a wrong request count."""
    args = benchmark_args()
    started = time.perf_counter()
    with capsys.disabled():
        print()
        bench = Bench(args, tmp_path)
        try:
            bench.measure()
        except FunctionalError as error:
            pytest.fail(str(error), pytrace=False)
        finally:
            bench.close()
        bench.report()
        print(f"benchmark took {time.perf_counter() - started:.0f} s")
