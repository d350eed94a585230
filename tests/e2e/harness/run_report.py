# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Figures the suite reports after a run: the secret and traceback scan of every ansible run, and
tables of observed outcomes (how each fault kind ended, say). Under pytest-xdist each worker keeps
its own; tests/e2e/conftest.py folds them together in the controller and prints them."""

from __future__ import annotations

SCAN = {"runs": 0, "bytes": 0, "secrets_found": 0, "tracebacks": 0, "minted_checked": 0, "minted_found": 0}
REPORT: dict[str, dict[str, str]] = {}


def report(table: str, row: str, outcome: str) -> None:
    """Note one observed outcome for the summary after the run."""
    REPORT.setdefault(table, {})[row] = " ".join(outcome.split())[:150]


def snapshot() -> dict:
    return {"scan": SCAN, "report": REPORT}


def merge(data: dict) -> None:
    for name, value in data["scan"].items():
        SCAN[name] += value
    for table, rows in data["report"].items():
        REPORT.setdefault(table, {}).update(rows)


def write(terminalreporter) -> None:
    if SCAN["runs"]:
        terminalreporter.write_line(
            f"secret and traceback scan: {SCAN['runs']} ansible runs, {SCAN['bytes']} bytes of output at -vvvv, "
            f"input secrets found: {SCAN['secrets_found']}, tracebacks seen: {SCAN['tracebacks']}"
        )
        terminalreporter.write_line(
            f"minted secrets found in output: {SCAN['minted_found']} ({SCAN['runs']} runs, {SCAN['bytes']} bytes scanned, "
            f"{SCAN['minted_checked']} checks of a minted secret against a run)"
        )
    for table, rows in REPORT.items():
        terminalreporter.write_sep("-", table)
        width = max(len(row) for row in rows)
        for row, outcome in sorted(rows.items()):
            terminalreporter.write_line(f"{row:<{width}}  {outcome}")
