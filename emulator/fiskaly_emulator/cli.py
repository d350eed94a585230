# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: run the emulator in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import state as defaults  # its DEFAULT_* values, by qualified name
from .atomic import InUse, claim, publish
from .emulator import Emulator, is_loopback
from .network import MAX_LATENCY, MAX_RATE_LIMIT


def _decimal(text: str) -> int:
    """Plain decimal digits only: int() would also take " 5\n", "+5" and "5_0"."""
    if not re.fullmatch(r"[0-9]+", text):
        raise argparse.ArgumentTypeError("must be an integer")
    return int(text)


def _positive_int(text: str) -> int:
    value = _decimal(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _latency(text: str) -> float:
    """Decimal seconds such as 0.05: float() would also take "nan", "inf" and "1e3"."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", text):
        raise argparse.ArgumentTypeError("must be a number of seconds such as 0.05")
    value = float(text)
    if value > MAX_LATENCY:
        raise argparse.ArgumentTypeError(f"must be 0..{MAX_LATENCY:g}")
    return value


def _rate_limit(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_RATE_LIMIT:
        raise argparse.ArgumentTypeError(f"must be 1..{MAX_RATE_LIMIT}")
    return value


def _port(text: str) -> int:
    value = _decimal(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be 0..65535")
    return value


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """Return the argument parser; ``prog`` is how it was started (argparse takes the command's name by default)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "HTTPS emulator of the fiskaly Management API (base path /api/v0) with an admin API under /_emulator/."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=8443, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument("--tls-dir", help="directory for ca.pem (default: a temporary directory removed on exit)")
    parser.add_argument(
        "--api-key", default=defaults.DEFAULT_API_KEY, help="full-rights api_key (default: %(default)s)"
    )
    parser.add_argument(
        "--api-secret", default=defaults.DEFAULT_API_SECRET, help="full-rights api_secret (default: %(default)s)"
    )
    parser.add_argument(
        "--readonly-api-key", default=defaults.DEFAULT_READONLY_API_KEY, help="read-only api_key (default: %(default)s)"
    )
    parser.add_argument(
        "--readonly-api-secret",
        default=defaults.DEFAULT_READONLY_API_SECRET,
        help="read-only api_secret (default: %(default)s)",
    )
    parser.add_argument(
        "--access-token-ttl",
        type=_positive_int,
        default=defaults.DEFAULT_ACCESS_TOKEN_TTL,
        help="seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--refresh-token-ttl",
        type=_positive_int,
        default=defaults.DEFAULT_REFRESH_TOKEN_TTL,
        help="seconds (default: %(default)s)",
    )
    parser.add_argument("--env-file", help="write shell export lines here once listening (removed on exit)")
    parser.add_argument(
        "--json-file",
        help="write base_url, ca_path, the credentials and the pid here as JSON once listening (removed on exit)",
    )
    parser.add_argument(
        "--idle-exit",
        type=_positive_int,
        metavar="SECONDS",
        help="stop after SECONDS without a connection (for an emulator started in the background)",
    )
    parser.add_argument(
        "--seed",
        help=(
            "JSON file with a list of keys to create at start: {name, kind, status, metadata?} in the draft, "
            "{name, status?, metadata?, organization_id?, _envs?} in 0.12"
        ),
    )
    parser.add_argument(
        "--api-version",
        choices=defaults.API_VERSIONS,
        default=defaults.API_VERSION_DRAFT,
        help="the dialect of the Management API to speak (default: %(default)s)",
    )
    parser.add_argument(
        "--latency",
        type=_latency,
        default=0.0,
        metavar="SECONDS",
        help=(
            f"add SECONDS (0..{MAX_LATENCY:g}) to every API answer, errors and 429s included, not to "
            "the admin API (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        metavar="N",
        help=(
            "allow N API requests per second (a token bucket of N); more are answered 429 with "
            "Retry-After (default: no limit)"
        ),
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print one line per API request (method, path, status) to stderr"
    )
    return parser


def connection_details(emulator: Emulator) -> dict[str, Any]:
    """What a client needs to reach the emulator: the content of --json-file."""
    return {
        "written_by": JSON_FILE_MARKER,
        "base_url": emulator.base_url,
        "admin_url": emulator.base_url.split("/api/", 1)[0] + "/_emulator",
        "ca_path": emulator.ca_path,
        "api_key": emulator.api_key,
        "api_secret": emulator.api_secret,
        "readonly_api_key": emulator.readonly_api_key,
        "readonly_api_secret": emulator.readonly_api_secret,
        "pid": os.getpid(),
        "api_version": emulator.api_version,
        "organization_id": emulator.organization_id,
        "managed_organization_ids": emulator.managed_organization_ids,
    }


def export_lines(emulator: Emulator) -> list[str]:
    """Return the shell export lines for the FISKALY_* variables."""
    values = {
        "FISKALY_BASE_URL": emulator.base_url,
        "FISKALY_CA_PATH": emulator.ca_path,
        "FISKALY_API_KEY": emulator.api_key,
        "FISKALY_API_SECRET": emulator.api_secret,
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]


def write_env_file(path: Path, lines: list[str]) -> int:
    """Write the export lines so that a waiting script never sees a partial file; return the descriptor of its lock."""
    return publish(path, ("\n".join([ENV_FILE_MARKER, *lines]) + "\n").encode(), SECRET_FILE_MODE)


def write_json_file(path: Path, details: dict[str, Any]) -> int:
    """Write the connection details so that a waiting script never sees a partial file; return the descriptor of its
    lock."""
    return publish(path, (json.dumps(details, indent=2) + "\n").encode(), SECRET_FILE_MODE)


# Both output files hold the api_secret.
SECRET_FILE_MODE = 0o600

# The first line of every --env-file: only a file that starts with it is ever replaced. Export lines alone
# would not do: a hand-written file of real credentials looks the same.
ENV_FILE_MARKER = "# written by the fiskaly Management API emulator; it removes this file when it stops"
# The "written_by" value of every --json-file, for the same reason.
JSON_FILE_MARKER = "the fiskaly Management API emulator; it removes this file when it stops"
_ENV_LINE = re.compile(r"export FISKALY_[A-Z_]+=.*")


def written_by_an_emulator(path: Path) -> bool:
    """Whether the file is an env file that an emulator wrote (a stale one of an earlier run)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read(65536).splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return len(lines) > 1 and lines[0] == ENV_FILE_MARKER and all(_ENV_LINE.fullmatch(line) for line in lines[1:])


def json_written_by_an_emulator(path: Path) -> bool:
    """Whether the file is a JSON file that an emulator wrote (a stale one of an earlier run)."""
    try:
        with open(path, encoding="utf-8") as handle:
            details = json.loads(handle.read(65536))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(details, dict) and details.get("written_by") == JSON_FILE_MARKER


def output_file_problem(option: str, path: Path) -> str | None:
    """Why the emulator must not write its --env-file or --json-file at ``path``, or None."""
    ours = written_by_an_emulator if option == "--env-file" else json_written_by_an_emulator
    if not path.parent.is_dir():
        return f"{option} {path}: the directory {path.parent} does not exist"
    if (path.exists() or path.is_symlink()) and not (path.is_file() and not path.is_symlink() and ours(path)):
        kind = "an env file" if option == "--env-file" else "a JSON file"
        return (
            f"{option} {path} exists and is not {kind} that an emulator wrote: it is never "
            "replaced; move it away or choose another path"
        )
    return None


def _load_seed(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            records = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--seed {path}: {exc.strerror if isinstance(exc, OSError) else exc}") from None
    return records.get("keys") if isinstance(records, dict) else records


def in_use(option: str, path: Path) -> str:
    return (
        f"{option} {path} belongs to an emulator that is running: it is never replaced; stop that "
        "emulator or choose another path"
    )


def make_way_for_outputs(outputs: dict[str, Path]) -> str | None:
    """Refuse a file that an emulator did not write or that a running one holds, and remove a stale one (a script
    waiting for the file must not pick it up); return why not, or None. publish() checks again as it writes."""
    for option, path in outputs.items():
        problem = output_file_problem(option, path)
        if problem is not None:
            return problem
    for option, path in outputs.items():
        try:
            held = claim(path)
        except InUse:
            return in_use(option, path)
        if held is not None:
            path.unlink()
            os.close(held)
    return None


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run until SIGINT/SIGTERM; return the exit status."""
    args = build_parser(prog).parse_args(argv)
    if not is_loopback(args.host):
        print(
            f"error: refusing to listen on non-loopback host {args.host!r}: the admin API has no authentication",
            file=sys.stderr,
        )
        return 2
    outputs = {
        option: Path(os.path.abspath(value))
        for option, value in (("--env-file", args.env_file), ("--json-file", args.json_file))
        if value
    }
    problem = make_way_for_outputs(outputs)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        emulator = Emulator(
            args.host,
            args.port,
            args.tls_dir,
            args.access_token_ttl,
            args.refresh_token_ttl,
            api_key=args.api_key,
            api_secret=args.api_secret,
            readonly_api_key=args.readonly_api_key,
            readonly_api_secret=args.readonly_api_secret,
            verbose=args.verbose,
            latency=args.latency,
            rate_limit=args.rate_limit,
            api_version=args.api_version,
        )
        seed = _load_seed(args.seed) if args.seed else None
        emulator.start()
    except (OSError, ValueError) as exc:
        hint = (
            "; choose another --port, or --port 0 for any free one"
            if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE
            else ""
        )
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 1
    stop = threading.Event()
    written: dict[Path, os.stat_result] = {}
    locks: list[int] = []  # of the files written, held while this emulator runs
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_signal: stop.set())
    try:
        if seed is not None:
            emulator.seed_keys(seed)
        lines = export_lines(emulator)
        print(f"base_url: {emulator.base_url}")
        print(f"ca_path: {emulator.ca_path}")
        print(f"api_key: {emulator.api_key}")
        print(f"api_secret: {emulator.api_secret}")
        print(f"readonly_api_key: {emulator.readonly_api_key}")
        print(f"readonly_api_secret: {emulator.readonly_api_secret}")
        print(f"api_version: {emulator.api_version}")
        if emulator.organization_id is not None:
            print(f"organization_id: {emulator.organization_id}")
            print(f"managed_organization_ids: {' '.join(emulator.managed_organization_ids)}")
        print("\n".join(lines), flush=True)
        for option, path in outputs.items():
            try:
                locks.append(
                    write_env_file(path, lines)
                    if option == "--env-file"
                    else write_json_file(path, connection_details(emulator))
                )
            except InUse:
                # Another emulator, started at the same time, wrote it first.
                print(f"error: {in_use(option, path)}", file=sys.stderr)
                return 2
            written[path] = path.stat()
        while not stop.wait(0.5):
            if args.idle_exit and time.monotonic() - emulator.last_request_at > args.idle_exit:
                print(f"no connection for {args.idle_exit} s (--idle-exit): stopping", file=sys.stderr)
                break
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        emulator.stop()
        for path, stat in written.items():
            _remove_if_unchanged(path, stat)
        for fd in locks:
            os.close(fd)
    return 0


def _remove_if_unchanged(path: Path, written: os.stat_result) -> None:
    """Remove an output file on exit only while it is the one this emulator wrote."""
    try:
        now = path.stat()
    except OSError:
        return
    if (now.st_ino, now.st_dev, now.st_mtime_ns) == (written.st_ino, written.st_dev, written.st_mtime_ns):
        path.unlink()
