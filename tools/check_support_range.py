#!/usr/bin/env python
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check that every statement of the supported range agrees with tools/matrix.tsv.

Usage: tools/check_support_range.py [--venvs]      (exit 0: all agree; 1: a list of what does not)
       tools/check_support_range.py --print-readme (the README block the matrix implies)

tools/matrix.tsv is the one matrix of the ansible-core lines that CI proves. This checks that:

- its lowest line is the floor of ``requires_ansible`` in meta/runtime.yml (and its newest line
  below that spec's upper bound, if it has one), and its lines are contiguous minors;
- the module Pythons (the lines' controller Pythons included) form one contiguous range whose
  lowest is the floor of ``python_requires`` in tests/config.yml (whether a line's ansible-test
  supports a Python is not checked here: tools/sanity.sh runs each with --python, so a wrong
  one fails there);
- README.md holds, between its support-range markers, exactly the block --print-readme prints;
- the user guide's requirements (docs/docsite/rst/guide_getting_started.rst) name the same
  ansible-core and module Python ranges;
- meta/execution-environment.yml installs ``ansible-core>=FLOOR,<NEXT`` (NEXT: the minor after the
  newest line);
- .github/workflows/ci.yml runs the same lines on the same Pythons (its ``core`` job's
  ``strategy.matrix.include``), sets up every Python the matrix needs, calls
  ``tools/run-tests.sh sanity-LINE units-LINE integration-LINE pytest-LINE`` and runs on push, pull_request and a schedule;
  galaxy.yml keeps .github out of the collection tarball;
- with --venvs: each existing .venv/core-LINE holds an ansible-core of its line on its Python,
  and its row proves every Python of the module range that the line's ansible-test supports.

Needs PyYAML (the tools venv has it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The stages tools/run-tests.sh runs for each ansible-core line (its PER_LINE_STAGES), in order.
PER_LINE_STAGES = ("sanity", "units", "integration", "pytest")
README_BEGIN = "<!-- support-range: begin (generated from tools/matrix.tsv by tools/check_support_range.py --print-readme) -->"
README_END = "<!-- support-range: end -->"

errors: list[str] = []


def fail(msg: str) -> None:
    errors.append(msg)


def vtuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def vstr(version: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in version)


def read_matrix() -> list[dict]:
    rows = []
    for num, raw in enumerate((ROOT / "tools/matrix.tsv").read_text().splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cols = raw.split()
        if len(cols) != 5:
            fail(f"tools/matrix.tsv:{num}: 5 columns expected, found {len(cols)}: {raw!r}")
            continue
        line, controller, pip_spec, pre_spec, module_pythons = cols
        if not re.fullmatch(r"\d+\.\d+", line) or not re.fullmatch(r"\d+\.\d+", controller):
            fail(f"tools/matrix.tsv:{num}: line and controller must be X.Y: {raw!r}")
            continue
        nxt = vstr((vtuple(line)[0], vtuple(line)[1] + 1))
        if pip_spec != f"ansible-core>={line},<{nxt}":
            fail(f"tools/matrix.tsv:{num}: pip_spec of {line} must be ansible-core>={line},<{nxt}, is {pip_spec}")
        if pre_spec != "-" and not re.fullmatch(rf"ansible-core>={re.escape(line)}\.0(a|b|rc)\d+,<{re.escape(nxt)}", pre_spec):
            fail(f"tools/matrix.tsv:{num}: pre_spec of {line} must be '-' or ansible-core>={line}.0rcN,<{nxt}, is {pre_spec}")
        pythons = [] if module_pythons == "-" else module_pythons.split(",")
        for python in pythons:
            if not re.fullmatch(r"\d+\.\d+", python):
                fail(f"tools/matrix.tsv:{num}: module Python {python!r} is not X.Y")
        if controller in pythons:
            fail(f"tools/matrix.tsv:{num}: {controller} is {line}'s controller Python already; list only the others")
        rows.append({"line": line, "controller": controller, "pip_spec": pip_spec, "pre_spec": pre_spec, "module_pythons": pythons})
    if not rows:
        fail("tools/matrix.tsv holds no line")
    return rows


def floor_of(spec: str, what: str) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """(lower bound, exclusive upper bound) of a spec like '>=2.16.0' or '>=3.9,<3.14'."""
    low = high = None
    for raw in spec.split(","):
        part = raw.strip()
        m = re.fullmatch(r"(>=|<|<=|>|!=|==)\s*([\d.]+)", part)
        if not m:
            fail(f"{what}: cannot read the specifier {part!r}")
            continue
        op, ver = m.groups()
        if op == ">=":
            low = vtuple(ver)
        elif op == "<":
            high = vtuple(ver)
        else:
            fail(f"{what}: only >= and < are understood here, not {part!r}")
    return low, high


def module_range(rows: list[dict]) -> list[str]:
    pythons = set()
    for row in rows:
        pythons.add(row["controller"])
        pythons.update(row["module_pythons"])
    return sorted(pythons, key=vtuple)


def readme_block(rows: list[dict]) -> str:
    pythons = module_range(rows)
    lines = [
        README_BEGIN,
        f"Supported and tested: ansible-core **{rows[0]['line']} to {rows[-1]['line']}**"
        f' (`requires_ansible: ">={rows[0]["line"]}.0"` in `meta/runtime.yml`), and Python'
        f" **{pythons[0]} to {pythons[-1]}** on the host that runs the modules. CI proves every line"
        " with its newest release: `ansible-test sanity` (no ignore entries), the unit tests and the"
        " integration tests on the line's controller Python, and sanity's `compile` and `import`"
        " tests of the collection on the other module Pythons listed:",
        "",
        "| ansible-core | controller Python (sanity, unit, integration) | module Pythons also proven (compile, import) |",
        "|---|---|---|",
    ]
    for row in rows:
        version = f"{row['line']} (newest pre-release until a GA exists)" if row["pre_spec"] != "-" else row["line"]
        also = ", ".join(row["module_pythons"]) or "-"
        lines.append(f"| {version} | {row['controller']} | {also} |")
    short = [row["line"] for row in rows if max([row["controller"]] + row["module_pythons"], key=vtuple) != pythons[-1]]
    note = ""
    if short:
        tops = sorted({max([r["controller"]] + r["module_pythons"], key=vtuple) for r in rows if r["line"] in short}, key=vtuple)
        note = f" ({' and '.join(short)}: up to {' / '.join(tops)}, the newest their ansible-test supports for modules)"
    lines += [
        "",
        f"Each of Python {pythons[0]} to {pythons[-1]} is proven on every line that supports it{note}."
        " On the host that runs the modules, use a Python that both this collection and your"
        " ansible-core support.",
        README_END,
    ]
    return "\n".join(lines)


def check_runtime(rows: list[dict]) -> None:
    runtime = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())
    low, high = floor_of(str(runtime.get("requires_ansible", "")), "meta/runtime.yml requires_ansible")
    if low is None:
        fail("meta/runtime.yml: requires_ansible has no >= floor")
        return
    if low[:2] != vtuple(rows[0]["line"]):
        fail(f"tools/matrix.tsv starts at {rows[0]['line']}, requires_ansible's floor is {vstr(low)}: the lowest admitted line must be tested")
    if high is not None and vtuple(rows[-1]["line"]) >= high:
        fail(f"tools/matrix.tsv's newest line {rows[-1]['line']} is not below requires_ansible's bound {vstr(high)}")
    for prev, row in zip(rows, rows[1:]):
        p, c = vtuple(prev["line"]), vtuple(row["line"])
        if c != (p[0], p[1] + 1):
            fail(f"tools/matrix.tsv: lines must be contiguous, {prev['line']} is followed by {row['line']}")
    for row in rows[:-1]:
        if row["pre_spec"] != "-":
            fail(f"tools/matrix.tsv: only the newest line can lack a GA release, not {row['line']}")


def check_module_pythons(rows: list[dict]) -> None:
    config = yaml.safe_load((ROOT / "tests/config.yml").read_text())
    spec = str(config.get("modules", {}).get("python_requires", ""))
    low, high = floor_of(spec, "tests/config.yml modules.python_requires")
    pythons = module_range(rows)
    if low is not None and vtuple(pythons[0]) != low[:2]:
        fail(f"tests/config.yml says modules need Python {spec}, the matrix proves from {pythons[0]}")
    top = vtuple(pythons[-1])
    if high is None or high[:2] != (top[0], top[1] + 1):
        fail(f"tests/config.yml says modules need Python {spec}; the matrix proves up to {pythons[-1]}, so its upper bound must be <{top[0]}.{top[1] + 1}")
    for prev, cur in zip(pythons, pythons[1:]):
        p, c = vtuple(prev), vtuple(cur)
        if c != (p[0], p[1] + 1):
            fail(f"module Pythons proven by the matrix are not contiguous: {prev} then {cur} ({', '.join(pythons)})")


def check_readme(rows: list[dict]) -> None:
    text = (ROOT / "README.md").read_text()
    if README_BEGIN not in text or README_END not in text:
        fail("README.md has no support-range block: add the output of tools/check_support_range.py --print-readme")
        return
    block = text[text.index(README_BEGIN) : text.index(README_END) + len(README_END)]
    if block != readme_block(rows):
        fail("README.md's support-range block differs from tools/matrix.tsv: replace it with the output of tools/check_support_range.py --print-readme")
    outside = text.replace(block, "")
    for m in re.finditer(r"ansible-core \**(\d+\.\d+) to (\d+\.\d+)\**", outside):
        if (m.group(1), m.group(2)) != (rows[0]["line"], rows[-1]["line"]):
            fail(f"README.md says {m.group(0)!r}; the matrix is {rows[0]['line']} to {rows[-1]['line']}")
    for m in re.finditer(r"Python \**(\d+\.\d+)\** or newer", text):
        fail(f"README.md promises {m.group(0)!r}; the matrix proves {module_range(rows)[0]} to {module_range(rows)[-1]}")


def check_docs(rows: list[dict]) -> None:
    pythons = module_range(rows)
    guide = ROOT / "docs/docsite/rst/guide_getting_started.rst"
    text = guide.read_text()
    want_core = f"ansible-core {rows[0]['line']} to {rows[-1]['line']}"
    want_python = f"Python {pythons[0]} to {pythons[-1]}"
    for want in (want_core, want_python):
        if want not in text:
            fail(f"{guide.relative_to(ROOT)}: its requirements must say {want!r}")
    for path in sorted((ROOT / "docs/docsite/rst").glob("*.rst")):
        body = path.read_text()
        for m in re.finditer(r"ansible-core (\d+\.\d+) (or newer|to (\d+\.\d+))", body):
            if m.group(2) == "or newer" or (m.group(1), m.group(3)) != (rows[0]["line"], rows[-1]["line"]):
                fail(f"{path.relative_to(ROOT)}: says {m.group(0)!r}; the matrix is {want_core}")
        for m in re.finditer(r"Python (3\.\d+) or newer", body):
            fail(f"{path.relative_to(ROOT)}: promises {m.group(0)!r}; the matrix proves {want_python}")


def check_ee(rows: list[dict]) -> None:
    ee = yaml.safe_load((ROOT / "meta/execution-environment.yml").read_text())
    got = ee.get("dependencies", {}).get("ansible_core", {}).get("package_pip")
    newest = vtuple(rows[-1]["line"])
    want = f"ansible-core>={rows[0]['line']},<{vstr((newest[0], newest[1] + 1))}"
    if got != want:
        fail(f"meta/execution-environment.yml installs {got!r}; the matrix means {want!r}")


def check_workflow(rows: list[dict]) -> None:
    path = ROOT / ".github/workflows/ci.yml"
    if not path.is_file():
        fail(".github/workflows/ci.yml is missing")
        return
    wf = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    triggers = wf.get("on", wf.get(True))
    if isinstance(triggers, str):
        triggers = [triggers]
    for event in ("push", "pull_request", "schedule"):
        if event not in (triggers or {}):
            fail(f".github/workflows/ci.yml does not run on {event}")
    core = wf.get("jobs", {}).get("core")
    if not core:
        fail(".github/workflows/ci.yml has no job 'core' (the job per ansible-core line)")
        return
    include = core.get("strategy", {}).get("matrix", {}).get("include", [])
    got = [(str(e.get("core")), str(e.get("python"))) for e in include]
    want = [(r["line"], r["controller"]) for r in rows]
    if got != want:
        fail(f".github/workflows/ci.yml's core matrix {got} differs from tools/matrix.tsv {want}")
    text = path.read_text()
    per_line = "tools/run-tests.sh " + " ".join(f"{stage}-${{{{ matrix.core }}}}" for stage in PER_LINE_STAGES)
    if per_line not in text:
        fail(f".github/workflows/ci.yml's core job must run {per_line}")
    needed = set(module_range(rows))
    for job_name, job in wf.get("jobs", {}).items():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/setup-python"):
                versions = str(step.get("with", {}).get("python-version", "")).split()
                missing = needed - set(versions)
                if job_name == "core" and missing:
                    fail(f".github/workflows/ci.yml: job core sets up Python {versions}, not {sorted(missing, key=vtuple)}")
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    if ".github" not in galaxy.get("build_ignore", []):
        fail("galaxy.yml: .github must be in build_ignore")
    if not str(galaxy.get("repository", "")).startswith("https://github.com/"):
        fail("galaxy.yml: repository must be the GitHub repository whose workflow this is")


PROBE = """
import sys
import ansible
from ansible_test._internal import constants
print(ansible.__version__, '%d.%d' % sys.version_info[:2], ','.join(constants.SUPPORTED_PYTHON_VERSIONS))
"""


def check_venvs(rows: list[dict]) -> None:
    print(f"{'line':6} {'ansible-core':14} {'python':8} venv")
    for row in rows:
        venv = ROOT / ".venv" / f"core-{row['line']}" / "bin" / "python"
        if not venv.exists():
            print(f"{row['line']:6} {'(not built)':14}")
            continue
        out = subprocess.run([str(venv), "-c", PROBE], capture_output=True, text=True, check=False)
        if out.returncode:
            fail(f".venv/core-{row['line']}: cannot import ansible or ansible_test: {out.stderr.strip()}")
            continue
        version, python, supported = out.stdout.split()
        # The line proves every Python of the range that its ansible-test supports for modules.
        want = [p for p in module_range(rows) if p in supported.split(",")]
        have = sorted([row["controller"]] + row["module_pythons"], key=vtuple)
        if have != want:
            fail(
                f"tools/matrix.tsv: ansible-core {row['line']} supports modules on {', '.join(want)} of the range"
                f" {module_range(rows)[0]} to {module_range(rows)[-1]}; its row proves {', '.join(have)}"
            )
        print(f"{row['line']:6} {version:14} {python:8} {venv.parent.parent.relative_to(ROOT)}")
        if not version.startswith(row["line"] + "."):
            fail(f".venv/core-{row['line']} holds ansible-core {version}")
        if python != row["controller"] and not os.environ.get("FISKALY_PYTHON_" + row["line"].replace(".", "_")):
            fail(f".venv/core-{row['line']} runs on Python {python}, the matrix says {row['controller']}")
        if row["pre_spec"] == "-" and re.search(r"(a|b|rc)\d+$", version):
            fail(f".venv/core-{row['line']} holds the pre-release {version} of a line that has a GA")


def main() -> int:
    rows = read_matrix()
    if "--print-readme" in sys.argv[1:]:
        print(readme_block(rows))
        return 0
    if rows:
        check_runtime(rows)
        check_module_pythons(rows)
        check_readme(rows)
        check_docs(rows)
        check_ee(rows)
        check_workflow(rows)
        if "--venvs" in sys.argv[1:]:
            check_venvs(rows)
    if errors:
        for msg in errors:
            print(f"support-range: {msg}", file=sys.stderr)
        return 1
    pythons = module_range(rows)
    print(
        f"support-range: ansible-core {rows[0]['line']} to {rows[-1]['line']}, module Pythons {pythons[0]} to {pythons[-1]}: "
        "meta/runtime.yml, tests/config.yml, README.md, the getting-started guide, meta/execution-environment.yml, "
        ".github/workflows/ci.yml and galaxy.yml agree with tools/matrix.tsv"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
