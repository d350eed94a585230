# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The secret and traceback scan: the rules by which any output of the collection counts as leaking a secret.

Used by the harness for every ansible run of the pytest suite, by the integration targets' callback
fiskaly_secret_scan (setup_emulator), and, as a command, to scan output captured by hand:

    python tests/e2e/harness/secret_scan.py --json EMULATOR_JSON --minted MINTED_JSON \
        [--input-secret VALUE]... [--events FILE]... OUTPUT...

MINTED_JSON is what the emulator's admin API answers to GET /_emulator/minted?since=0. Prints one line of figures,
"minted secrets found in target output: N (...)", and exits 1 when an input secret, a minted secret or a Python
traceback is found (naming what it found, never the secret itself)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

# A secret counts as leaked when its last characters show, not only when the whole of it does.
LEAK_SUFFIX = 16
# A Python stack frame as tracebacks print it, whatever header ansible-core puts above it.
STACK_FRAME = re.compile(r'File "[^"]+", line \d+, in ')


def leak_windows(secret: str, jwt: bool = False) -> list[str]:
    """What counts as a leaked secret: the whole of a short one, or its first or last LEAK_SUFFIX characters."""
    if len(secret) <= LEAK_SUFFIX:
        return [secret]
    return [secret[-LEAK_SUFFIX:]] if jwt else [secret[:LEAK_SUFFIX], secret[-LEAK_SUFFIX:]]


def leaked_inputs(seen: str, secrets: Iterable[str]) -> list[str]:
    """The input secrets that show, by their end only: a test's made-up credentials may share a beginning with a name
    that may show (emulator-readonly-api-secret and emulator-readonly-api-key)."""
    return sorted(secret for secret in secrets if secret and secret[-LEAK_SUFFIX:] in seen)


def leaked_minted(seen: str, minted: Iterable) -> list:
    """The minted secrets (objects with kind, owner and value) of which a leak window shows; a JWT by its end only,
    since every token shares its beginning."""
    return [
        secret
        for secret in minted
        if any(window in seen for window in leak_windows(secret.value, jwt=secret.kind == "access_token"))
    ]


def traceback_count(seen: str) -> int:
    return seen.count("Traceback (most recent call last)") + len(STACK_FRAME.findall(seen))


class _Minted:  # pylint: disable=too-few-public-methods
    def __init__(self, kind: str, owner: str, value: str) -> None:
        self.kind, self.owner, self.value = kind, owner, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="secret_scan.py", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--json", required=True, type=Path, help="the emulator's --json-file (its credentials are input secrets)"
    )
    parser.add_argument(
        "--minted", required=True, type=Path, help="the answer of GET /_emulator/minted?since=0, as a file"
    )
    parser.add_argument("--input-secret", action="append", default=[], help="another value that must never show")
    parser.add_argument(
        "--events", action="append", default=[], type=Path, help="a callback record or Ansible log to scan too"
    )
    parser.add_argument("output", nargs="+", type=Path, help="captured output to scan")
    args = parser.parse_args(argv)
    details = json.loads(args.json.read_text(encoding="utf-8"))
    inputs = {details["api_secret"], details["readonly_api_secret"], *args.input_secret}
    minted = [
        _Minted(entry["kind"], entry["owner"], entry["value"])
        for entry in json.loads(args.minted.read_text(encoding="utf-8"))["minted"]
    ]
    seen = "".join(
        path.read_text(encoding="utf-8", errors="replace") for path in [*args.output, *args.events] if path.exists()
    )
    inputs_found = leaked_inputs(seen, inputs)
    minted_found = leaked_minted(seen, minted)
    tracebacks = traceback_count(seen)
    print(
        f"minted secrets found in target output: {len(minted_found)} ({len(seen)} bytes scanned, {len(minted)} minted secrets "
        f"checked; input secrets found: {len(inputs_found)} of {len(inputs)}; tracebacks seen: {tracebacks})"
    )
    for secret in minted_found:
        print(f"  minted: {secret.kind} of {secret.owner}")
    if inputs_found:
        print(f"  input secrets: {len(inputs_found)} (their values are not printed)")
    return 1 if inputs_found or minted_found or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
