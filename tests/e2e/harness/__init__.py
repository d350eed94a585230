# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pytest harness: real ``ansible-playbook`` and ``ansible`` runs of the collection from this checkout,
against the HTTPS emulator, each run's whole output scanned for every secret given to a module or minted by the API.

Tests import from here, never from a ``conftest.py``: pytest loads each conftest under the same module name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.collection_path import collections_root
from harness.run_report import SCAN, report  # noqa: F401  # pylint: disable=unused-import  # report: for the tests
from harness.secret_scan import LEAK_SUFFIX, leak_windows, leaked_inputs, leaked_minted, traceback_count  # noqa: F401  # pylint: disable=unused-import

try:  # ansible-core 2.22 and later mask registered secrets in every display and callback
    import ansible.module_utils.secrets  # noqa: F401  # pylint: disable=unused-import

    MASKS_SECRETS = True
except ImportError:
    MASKS_SECRETS = False
MASK = "$REDACTED$"

HERE = Path(__file__).resolve().parent
PYTHON = os.environ.get("FISKALY_TEST_PYTHON", sys.executable)
BIN = Path(sys.executable).parent  # the venv whose ansible-core is under test
GROUP = "group/fiskaly.management.fiskaly"


@dataclass
class Run:
    """What one ansible-playbook or ansible command did."""

    command: list[str]
    rc: int
    stdout: str
    stderr: str
    results: list[dict] = field(default_factory=list)
    kept_dir: Path | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def task(self, name: str, host: str = "localhost") -> dict:
        """The result of the task of that name on that host."""
        matches = [
            entry
            for entry in self.results
            if entry["task"] == name and entry["host"] == host and entry["event"] == "result"
        ]
        assert matches, (
            f"no result for task {name!r} on {host}; have {[entry['task'] for entry in self.results]}\n{self.output[-3000:]}"
        )
        return matches[-1]["result"]

    def kept(self, variable: str) -> dict:
        """A registered variable as the play kept it (``keep=`` of the run): unmasked, unlike what callbacks receive."""
        assert self.kept_dir is not None, "the run kept no variable"
        return json.loads((self.kept_dir / f"kept-{variable}.json").read_text())

    def status(self, name: str, host: str = "localhost") -> str:
        return [
            entry
            for entry in self.results
            if entry["task"] == name and entry["host"] == host and entry["event"] == "result"
        ][-1]["status"]


class Ansible:
    """Runs the collection for real, with the emulator's connection set through module_defaults."""

    def __init__(self, emulator, workdir: Path):
        self.emulator = emulator
        self.workdir = workdir
        self.secrets = {emulator.api_secret, emulator.readonly_api_secret}
        self.runs = 0

    @property
    def connection(self) -> dict:
        return {
            "base_url": self.emulator.base_url,
            "ca_path": str(self.emulator.ca_path),
            "api_key": self.emulator.api_key,
            "api_secret": self.emulator.api_secret,
        }

    def secret(self, value: str) -> str:
        """Declare a value that must never appear in any output; returns it."""
        self.secrets.add(value)
        return value

    def env(self, extra: dict | None = None) -> dict:
        env = {name: value for name, value in os.environ.items() if not name.startswith(("FISKALY_", "ANSIBLE_"))}
        env.update(
            {
                "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
                "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
                "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
                "ANSIBLE_CALLBACKS_ENABLED": "result_log",
                "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",  # ad hoc `ansible` loads no callback plugin without it
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-tmp"),
                "ANSIBLE_HOME": str(self.workdir / "ansible-home"),
                "ANSIBLE_PYTHON_INTERPRETER": PYTHON,
            }
        )
        env.update(extra or {})
        return env

    def playbook(self, tasks: list, *, env: dict | None = None, shows: tuple = (), keep: tuple = (), **options) -> Run:
        """Run a play of these tasks on localhost; ``options`` as for ``playbook_command``.

        ``keep`` names registered variables that a last task writes to files, for ``Run.kept()``.

        ``shows`` declares the minted secrets that this run shows on purpose: key names (their secrets), or
        ``"tokens"`` for the access and refresh tokens minted during the run. Every other minted secret, and
        every input secret, fails the run's scan wherever it shows.
        """
        tasks = tasks + [
            {
                "name": f"keep {variable}",
                "no_log": True,
                "diff": False,
                "check_mode": False,
                "ansible.builtin.copy": {
                    "content": f"{{{{ {variable} | to_json }}}}",
                    "dest": str(self.workdir / f"kept-{variable}.json"),
                    "mode": "0600",
                },
            }
            for variable in keep
        ]
        run = self._run(self.playbook_command(tasks, **options), env, shows)
        run.kept_dir = self.workdir
        return run

    def spawn(self, tasks: list, *, env: dict | None = None, **options) -> Spawned:
        """Start the play in its own process group, to be stopped with a signal as a cancelled CI job is."""
        command = self.playbook_command(tasks, **options)
        log = self.workdir / f"results-{self.runs}-spawned.jsonl"
        minted_before = len(self.emulator.minted_secrets())
        process = subprocess.Popen(
            command,
            env=self.env({**(env or {}), **self._log_env(log)}),
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        return Spawned(self, process, command, log, minted_before)

    def playbook_command(
        self,
        tasks: list,
        *,
        module_defaults: dict | None = None,
        connection: bool = True,
        check: bool = False,
        diff: bool = False,
        verbosity: int = 4,
        hosts: str = "localhost",
        inventory: str = "localhost,",
        forks: int | None = None,
        play_vars: dict | None = None,
    ) -> list[str]:
        defaults = {**(self.connection if connection else {}), **(module_defaults or {})}
        play = {
            "name": "test",
            "hosts": hosts,
            "gather_facts": False,
            "tasks": tasks,
            "module_defaults": {GROUP: defaults} if defaults else {},
            "vars": play_vars or {},
        }
        self.runs += 1
        path = self.workdir / f"playbook-{self.runs}.yml"
        path.write_text(json.dumps([play], indent=2))  # JSON is YAML
        command = [str(BIN / "ansible-playbook"), "-i", inventory, "-c", "local", str(path)]
        command += ["--check"] * check + ["--diff"] * diff + ([f"-{'v' * verbosity}"] if verbosity else [])
        command += [f"--forks={forks}"] if forks else []
        return command

    def adhoc(
        self,
        module: str,
        args: dict | None = None,
        *,
        check: bool = False,
        diff: bool = False,
        verbosity: int = 4,
        env: dict | None = None,
        shows: tuple = (),
    ) -> Run:
        command = [
            str(BIN / "ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-m",
            f"fiskaly.management.{module}",
        ]
        command += ["-a", json.dumps(args)] if args else []
        command += ["--check"] * check + ["--diff"] * diff + ([f"-{'v' * verbosity}"] if verbosity else [])
        return self._run(command, env, shows)

    def _run(self, command: list[str], env: dict | None, shows: tuple = ()) -> Run:
        log = self.workdir / f"results-{self.runs}-{len(command)}.jsonl"
        log.unlink(missing_ok=True)
        minted_before = len(self.emulator.minted_secrets())
        completed = subprocess.run(
            command,
            env=self.env({**(env or {}), **self._log_env(log)}),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        results = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        run = Run(command, completed.returncode, completed.stdout, completed.stderr, results)
        self._scan(run, recorded_by(log), minted_before, shows)
        return run

    @staticmethod
    def _log_env(log: Path) -> dict:
        """Where the callback records every host event, and where Ansible writes its own log (ANSIBLE_LOG_PATH)."""
        log.with_suffix(".ansible.log").unlink(missing_ok=True)
        return {"FISKALY_RESULT_LOG": str(log), "ANSIBLE_LOG_PATH": str(log.with_suffix(".ansible.log"))}

    def _scan(self, run: Run, recorded: str, minted_before: int, shows: tuple = ()) -> None:
        """Every run, at every verbosity it uses: no secret and no traceback in what the user sees.

        Scanned: stdout, stderr, the callback's record of every host event (what AWX stores as job events)
        and ANSIBLE_LOG_PATH. Looked for: the secrets given to the modules, and every key secret, access
        token and refresh token that the emulator ever handed out, whole or by the ``LEAK_SUFFIX``
        characters at either end (at the end only for a JWT, whose beginning every token shares).
        """
        seen = run.output + recorded
        SCAN["runs"] += 1
        SCAN["bytes"] += len(seen)
        leaked = leaked_inputs(seen, self.secrets)
        SCAN["secrets_found"] += len(leaked)
        minted = self.emulator.minted_secrets()
        shown = [
            secret
            for secret in minted[minted_before:]
            if (secret.kind == "key_secret" and secret.owner in shows)
            or (secret.kind != "key_secret" and "tokens" in shows)
        ]
        minted_leaked = [
            f"{secret.kind} of {secret.owner}"
            for secret in leaked_minted(seen, [secret for secret in minted if secret not in shown])
        ]
        SCAN["minted_checked"] += len(minted)
        SCAN["minted_found"] += len(minted_leaked)
        tracebacks = traceback_count(seen)
        SCAN["tracebacks"] += tracebacks
        assert not leaked, f"input secrets found in the output of {run.command}"
        assert not minted_leaked, f"minted secrets found in the output of {run.command}: {minted_leaked}"
        assert not tracebacks, f"a Python traceback reached the output of {run.command}:\n{run.output[-3000:]}"


@dataclass
class Spawned:
    """A playbook running in the background."""

    ansible: Ansible
    process: subprocess.Popen
    command: list[str]
    log: Path
    minted_before: int

    def signal_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def wait(self, timeout: float = 120) -> Run:
        """Wait for ansible-playbook to end. Its workers run in sessions of their own: a module may outlive it."""
        stdout, stderr = self.process.communicate(timeout=timeout)
        events = self.log.read_text() if self.log.exists() else ""
        run = Run(
            self.command, self.process.returncode, stdout, stderr, [json.loads(line) for line in events.splitlines()]
        )
        self.ansible._scan(run, recorded_by(self.log), self.minted_before)  # pylint: disable=protected-access
        return run


def wait_for(condition, limit: float = 60.0) -> None:
    """Wait until ``condition()`` holds; fail the test after ``limit`` seconds."""
    stop = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < stop, "timed out"
        time.sleep(0.05)


def module_task(name: str, module: str, args: dict | None = None, **keywords) -> dict:
    """A play's task that calls one of this collection's modules by its short name."""
    return {"name": name, f"fiskaly.management.{module}": args or {}, **keywords}


def fleet_of_three(ansible, names: tuple[str, str, str], module_defaults: dict) -> dict:
    """Declare a fleet of three test keys with fiskaly_api_key, whose second create an injected fault spoils.

    Asserts what such a run always shows: the task fails, changed, the second key named as created without its
    secret (and counted so), the first counted as created and the third not attempted. Returns the registered result."""
    # One write at a time, so that the third key is the one never attempted.
    args = {
        "kind": "test",
        "fleet_result": "all",
        "api_keys": [{"name": name} for name in names],
        "max_concurrent_requests": 1,
    }
    task = {
        "name": "fleet",
        "fiskaly.management.fiskaly_api_key": args,
        "register": "fleet",
        "no_log": True,
        "ignore_errors": True,
    }

    run = ansible.playbook([task], module_defaults=module_defaults, keep=("fleet",))

    result = run.kept("fleet")
    assert run.status("fleet") == "failed" and result["changed"] is True
    assert f"API key '{names[1]}' was created, but its secret was not received" in result["msg"]
    # Each key counted once (issue 18): the key created without its secret as created, not also as failed.
    assert result["summary"] == {
        "created": 2,
        "updated": 0,
        "enabled": 0,
        "disabled": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 0,
        "not_attempted": 1,
    }
    assert result["fleet"][1]["secret_lost"] is True and "secret_lost" not in result["fleet"][0]
    assert [(item["name"], item["changed"]) for item in result["fleet"]] == [
        (names[0], True),
        (names[1], True),
        (names[2], False),
    ]
    return result


def recorded_by(log: Path) -> str:
    """The callback's record of every host event of a run, and Ansible's own log of it."""
    return "".join(path.read_text() for path in (log, log.with_suffix(".ansible.log")) if path.exists())


def writes(emulator) -> list[dict]:
    """The PUT and PATCH requests the emulator received."""
    return [entry for entry in emulator.requests() if entry["method"] in ("PUT", "PATCH")]


def faulted_requests(emulator, count: int, limit: float = 10.0) -> list[dict]:
    """The log entries of faulted requests, once ``count`` are logged (or ``limit`` seconds passed): a delayed request
    is logged only when its delay is over, and must not spill into the next test's log."""
    stop = time.monotonic() + limit
    while True:
        faulted = [entry for entry in emulator.requests() if entry["fault"] is not None]
        if len(faulted) >= count or time.monotonic() > stop:
            return faulted
        time.sleep(0.1)
