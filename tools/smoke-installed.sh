#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Calls each module of an INSTALLED copy of the collection ad hoc against the emulator that ships
# inside it (run from the installed emulator/ directory), so that a built tarball is proven to work on its own.
# Usage: tools/smoke-installed.sh COLLECTIONS_PATH   (the `ansible` first on PATH is the one used)
set -euo pipefail

collections=$(cd "$1" && pwd)
installed="$collections/ansible_collections/fiskaly/management"
python=${FISKALY_TEST_PYTHON:-$(dirname "$(command -v ansible)")/python}
work=$(mktemp -d)
emulator_pid=""

cleanup() {
  [[ -n "$emulator_pid" ]] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# What the release carries: the emulator as a package, the offline helper for ansible-test; and what it
# leaves out: the development workflow (see build_ignore in galaxy.yml).
for f in emulator/pyproject.toml emulator/fiskaly_emulator/cli.py tools/ansible-test-offline.sh; do
  [[ -f "$installed/$f" ]] || { echo "FAILED: the installed collection has no $f" >&2; exit 1; }
done
for f in noxfile.py antsibull-nox.toml .nox tools/smoke-installed.sh tools/check_support_range.py tests/e2e/benchmark .ruff_cache; do
  [[ ! -e "$installed/$f" ]] || { echo "FAILED: the installed collection carries $f, development tooling" >&2; exit 1; }
done
echo "ok: the release carries the emulator and no development tooling"

(cd "$installed/emulator" && exec "$python" -m fiskaly_emulator --port 0 --tls-dir "$work/tls" --env-file "$work/env") >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 100); do [[ -s "$work/env" ]] && break; sleep 0.1; done
[[ -s "$work/env" ]] || { cat "$work/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/env"

export ANSIBLE_COLLECTIONS_PATH="$collections" ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP="$work/tmp"

adhoc() {  # MODULE ARGS_JSON EXPECTED_TEXT
  local output
  local args=()
  [[ -n "$2" ]] && args=(-a "$2")
  output=$(ansible localhost -i localhost, -c local -e "ansible_python_interpreter=$python" -m "fiskaly.management.$1" "${args[@]}" 2>&1) || {
    echo "$output"; echo "FAILED: $1 $2" >&2; return 1; }
  grep -q -- "$3" <<<"$output" || { echo "$output"; echo "FAILED: $1 $2: no '$3' in the output" >&2; return 1; }
  echo "ok: fiskaly.management.$1 $2"
}

adhoc fiskaly_token '' '"access_token_expires_in"'
adhoc fiskaly_api_key '{"name": "smoke-key", "kind": "test", "metadata": {"from": "tarball"}}' 'CHANGED'
adhoc fiskaly_api_key '{"name": "smoke-key", "kind": "test", "metadata": {"from": "tarball"}}' '"changed": false'
adhoc fiskaly_api_key_info '{"name": "smoke-key"}' '"from": "tarball"'
echo "the installed collection works: $installed"
