#!/usr/bin/env python
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check that every statement of the supported range agrees with the matrix that CI runs.

Run through nox: ``nox -s support-range`` (``--print-readme``: ``nox -s support-range -- --print-readme``).
The matrix comes from noxfile.py (``--matrix JSON``): the ansible-core lines that meta/runtime.yml's
``requires_ansible`` admits, as antsibull-nox reads them, each with its controller Pythons and the module Pythons
that its ansible-test supports within tests/config.yml's ``python_requires``. That is the one source; this checks
what is stated elsewhere by hand:

- every Python of tests/config.yml's ``python_requires`` is proven (compile, import) by some line;
- README.md holds, between its support-range markers, exactly the block --print-readme prints;
- the user guide's requirements (docs/docsite/rst/guide_getting_started.rst) name the same ansible-core and
  module Python ranges;
- meta/execution-environment.yml installs ``ansible-core>=OLDEST,<NEXT`` (NEXT: the minor after the newest line);
- .github/workflows/ci.yml runs on push, pull_request and a schedule, takes its matrix from
  ``nox -e matrix-generator``, sets up every Python the matrix needs; galaxy.yml keeps .github out of the tarball.

Needs PyYAML.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
README_BEGIN = (
    "<!-- support-range: begin (generated from meta/runtime.yml by nox -s support-range -- --print-readme) -->"
)
README_END = "<!-- support-range: end -->"

errors: list[str] = []


def fail(msg: str) -> None:
    errors.append(msg)


def vtuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def vstr(version: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in version)


def read_matrix(raw: str) -> list[dict]:
    """Rows {line, controller (X.Y to X.Y), module_pythons} from noxfile.py's JSON, oldest line first."""
    rows = []
    for line, data in sorted(json.loads(raw).items(), key=lambda item: vtuple(item[0])):
        low = re.search(r">=\s*([\d.]+)", data["controller"]).group(1)
        high = vtuple(re.search(r"<\s*([\d.]+)", data["controller"]).group(1))
        rows.append(
            {
                "line": line,
                "controller": f"{low} to {high[0]}.{high[1] - 1}",
                "module_pythons": list(data["module_pythons"]),
                "pre": line == max((k for k in json.loads(raw)), key=vtuple),
            }
        )
    if not rows:
        fail("the matrix holds no line")
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
        pythons.update(row["module_pythons"])
    return sorted(pythons, key=vtuple)


def readme_block(rows: list[dict]) -> str:
    pythons = module_range(rows)
    lines = [
        README_BEGIN,
        f"Supported and tested: ansible-core **{rows[0]['line']} to {rows[-1]['line']}**"
        f' (`requires_ansible: ">={rows[0]["line"]}.0"` in `meta/runtime.yml`), and Python'
        f" **{pythons[0]} to {pythons[-1]}** on the host that runs the modules. CI proves every line"
        " with its newest release: `ansible-test sanity` (no ignore entries), with its `compile` and `import`"
        " tests on every module Python listed, the unit tests and the integration tests on one of the line's"
        " controller Pythons:",
        "",
        "| ansible-core | controller Pythons (nox takes one installed for sanity, unit, integration) | module Pythons proven (compile, import) |",
        "|---|---|---|",
    ]
    for row in rows:
        version = f"{row['line']} (a pre-release until its GA exists)" if row["pre"] else row["line"]
        lines.append(f"| {version} | {row['controller']} | {', '.join(row['module_pythons'])} |")
    short = [row for row in rows if row["module_pythons"][-1] != pythons[-1]]
    note = ""
    if short:
        tops = sorted({row["module_pythons"][-1] for row in short}, key=vtuple)
        note = f" ({' and '.join(r['line'] for r in short)}: up to {' / '.join(tops)}, the newest their ansible-test supports for modules)"
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
    low, _high = floor_of(str(runtime.get("requires_ansible", "")), "meta/runtime.yml requires_ansible")
    if low is None:
        fail("meta/runtime.yml: requires_ansible has no >= floor")
    elif low[:2] != vtuple(rows[0]["line"]):
        fail(f"the matrix starts at {rows[0]['line']}, requires_ansible's floor is {vstr(low)}")


def check_module_pythons(rows: list[dict]) -> None:
    config = yaml.safe_load((ROOT / "tests/config.yml").read_text())
    spec = str(config.get("modules", {}).get("python_requires", ""))
    low, high = floor_of(spec, "tests/config.yml modules.python_requires")
    if low is None or high is None:
        fail(f"tests/config.yml: modules.python_requires must be '>=X.Y,<X.Z', is {spec!r}")
        return
    proven = set(module_range(rows))
    wanted = [vstr((low[0], minor)) for minor in range(low[1], high[1])]
    missing = [p for p in wanted if p not in proven]
    if missing:
        fail(f"tests/config.yml promises modules on Python {spec}; no ansible-core line proves {', '.join(missing)}")


def check_readme(rows: list[dict]) -> None:
    text = (ROOT / "README.md").read_text()
    if README_BEGIN not in text or README_END not in text:
        fail("README.md has no support-range block: add the output of nox -s support-range -- --print-readme")
        return
    block = text[text.index(README_BEGIN) : text.index(README_END) + len(README_END)]
    if block != readme_block(rows):
        fail(
            "README.md's support-range block differs from the matrix: replace it with the output of nox -s support-range -- --print-readme"
        )
    outside = text.replace(block, "")
    for m in re.finditer(r"ansible-core \**(\d+\.\d+) to (\d+\.\d+)\**", outside):
        if (m.group(1), m.group(2)) != (rows[0]["line"], rows[-1]["line"]):
            fail(f"README.md says {m.group(0)!r}; the matrix is {rows[0]['line']} to {rows[-1]['line']}")
    for m in re.finditer(r"Python \**(\d+\.\d+)\** or newer", text):
        fail(
            f"README.md promises {m.group(0)!r}; the matrix proves {module_range(rows)[0]} to {module_range(rows)[-1]}"
        )


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
    text = path.read_text()
    if "matrix-generator" not in text:
        fail(".github/workflows/ci.yml must take its matrix from `nox -e matrix-generator`")
    needed = set(module_range(rows))
    for job_name, job in wf.get("jobs", {}).items():
        if "nox" not in json.dumps(job):
            continue
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/setup-python"):
                versions = str(step.get("with", {}).get("python-version", ""))
                ref = re.fullmatch(r"\$\{\{\s*env\.(\w+)\s*\}\}", versions.strip())
                if ref:  # the workflow's env holds the list once for every job
                    versions = str(wf.get("env", {}).get(ref.group(1), ""))
                versions = versions.split()
                missing = needed - set(versions)
                if missing:
                    fail(
                        f".github/workflows/ci.yml: job {job_name} sets up Python {versions}, not {sorted(missing, key=vtuple)}"
                    )
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    if ".github" not in galaxy.get("build_ignore", []):
        fail("galaxy.yml: .github must be in build_ignore")
    if not str(galaxy.get("repository", "")).startswith("https://github.com/"):
        fail("galaxy.yml: repository must be the GitHub repository whose workflow this is")


def main() -> int:
    args = sys.argv[1:]
    if "--matrix" not in args or args.index("--matrix") + 1 >= len(args):
        print("usage: nox -s support-range [-- --print-readme]  (noxfile.py passes --matrix JSON)", file=sys.stderr)
        return 2
    rows = read_matrix(args[args.index("--matrix") + 1])
    if "--print-readme" in args:
        print(readme_block(rows))
        return 0
    if rows:
        check_runtime(rows)
        check_module_pythons(rows)
        check_readme(rows)
        check_docs(rows)
        check_ee(rows)
        check_workflow(rows)
    if errors:
        for msg in errors:
            print(f"support-range: {msg}", file=sys.stderr)
        return 1
    pythons = module_range(rows)
    print(
        f"support-range: ansible-core {rows[0]['line']} to {rows[-1]['line']} (meta/runtime.yml), module Pythons "
        f"{pythons[0]} to {pythons[-1]}: tests/config.yml, README.md, the getting-started guide, "
        "meta/execution-environment.yml, .github/workflows/ci.yml and galaxy.yml agree"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
