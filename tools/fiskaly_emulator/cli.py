"""Command line: run the emulator in the foreground until SIGINT or SIGTERM."""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from .emulator import (DEFAULT_ACCESS_TOKEN_TTL, DEFAULT_API_KEY, DEFAULT_API_SECRET, DEFAULT_READONLY_API_KEY, DEFAULT_READONLY_API_SECRET,
                       DEFAULT_REFRESH_TOKEN_TTL, Emulator, is_loopback)


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


def _port(text: str) -> int:
    value = _decimal(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be 0..65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(
        prog="emulator.py",
        description="HTTPS emulator of the fiskaly Management API (base path /api/v0) with an admin API under /_emulator/.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=8443, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument("--tls-dir", help="directory for ca.pem (default: a temporary directory removed on exit)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="full-rights api_key (default: %(default)s)")
    parser.add_argument("--api-secret", default=DEFAULT_API_SECRET, help="full-rights api_secret (default: %(default)s)")
    parser.add_argument("--readonly-api-key", default=DEFAULT_READONLY_API_KEY, help="read-only api_key (default: %(default)s)")
    parser.add_argument("--readonly-api-secret", default=DEFAULT_READONLY_API_SECRET, help="read-only api_secret (default: %(default)s)")
    parser.add_argument("--access-token-ttl", type=_positive_int, default=DEFAULT_ACCESS_TOKEN_TTL, help="seconds (default: %(default)s)")
    parser.add_argument("--refresh-token-ttl", type=_positive_int, default=DEFAULT_REFRESH_TOKEN_TTL, help="seconds (default: %(default)s)")
    parser.add_argument("--env-file", help="write shell export lines here once listening (removed on exit)")
    parser.add_argument("--seed", help="JSON file with a list of {name, kind, status, metadata?} keys to create at start")
    parser.add_argument("--verbose", action="store_true", help="print one line per API request (method, path, status) to stderr")
    return parser


def export_lines(emulator: Emulator) -> list[str]:
    """Return the shell export lines for the FISKALY_* variables."""
    values = {
        "FISKALY_BASE_URL": emulator.base_url,
        "FISKALY_CA_PATH": emulator.ca_path,
        "FISKALY_API_KEY": emulator.api_key,
        "FISKALY_API_SECRET": emulator.api_secret,
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]


def write_env_file(path: Path, lines: list[str]) -> None:
    """Write the export lines so that a waiting script never sees a partial file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(tmp, path)  # mkstemp made it 0600: it holds a secret
    except BaseException:
        os.unlink(tmp)
        raise


def _load_seed(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        records = json.load(handle)
    return records.get("keys") if isinstance(records, dict) else records


def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM; return the exit status."""
    args = build_parser().parse_args(argv)
    if not is_loopback(args.host):
        print(f"error: refusing to listen on non-loopback host {args.host!r}: the admin API has no authentication", file=sys.stderr)
        return 2
    env_file = Path(args.env_file).resolve() if args.env_file else None
    if env_file is not None and env_file.exists():
        env_file.unlink()  # a waiting script must not pick up the file of an earlier run
    try:
        emulator = Emulator(args.host, args.port, args.tls_dir, args.access_token_ttl, args.refresh_token_ttl,
                            api_key=args.api_key, api_secret=args.api_secret, readonly_api_key=args.readonly_api_key,
                            readonly_api_secret=args.readonly_api_secret, verbose=args.verbose)
        seed = _load_seed(args.seed) if args.seed else None
        emulator.start()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
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
        print("\n".join(lines), flush=True)
        if env_file is not None:
            write_env_file(env_file, lines)
        while not stop.wait(0.5):
            pass
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        emulator.stop()
        if env_file is not None and env_file.exists():
            env_file.unlink()
    return 0
