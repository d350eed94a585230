#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Run the example playbook (playbooks/quickstart.yml) against the bundled emulator.
#
# Usage: tools/run-example.sh [ansible-playbook args...]     e.g. --check --diff, -v
#   FISKALY_EXAMPLE_PLAYBOOK  another playbook to run (default: playbooks/quickstart.yml)
#   FISKALY_PYTHON            the Python to run it with (default: the newest python3.X on PATH,
#                             3.10 at least; with pyenv, every installed version counts)
#
# Sets up .venv/example on first use (tools/venv.sh): that Python with the newest ansible-core
# release of the supported range (requires_ansible's floor in meta/runtime.yml up to the newest
# line of tools/matrix.tsv) that this Python supports, e.g. 2.19 on 3.11, 2.21 on 3.12 or 3.13.
# Then it starts the emulator on a free loopback port, exports FISKALY_BASE_URL / FISKALY_CA_PATH / FISKALY_API_KEY /
# FISKALY_API_SECRET from it, runs the playbook with this checkout as fiskaly.management,
# and stops the emulator on exit.
set -euo pipefail

# shellcheck source=tools/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"

EMULATOR_PID=""
WORK=""

cleanup() {
  if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
  fi
  [[ -z "$WORK" ]] || rm -rf "$WORK"
}

# Start the emulator and wait (at most ~30 s) for its env file, which it writes once
# it listens.
start_emulator() {
  local python=$1 root=$2 i
  (cd "$root/emulator" && exec "$python" -m fiskaly_emulator --port 0 --env-file "$WORK/env") >"$WORK/emulator.log" 2>&1 &
  EMULATOR_PID=$!
  for ((i = 0; i < 300; i++)); do
    [[ -s "$WORK/env" ]] && return 0
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
      echo "run-example: the emulator exited early:" >&2
      cat "$WORK/emulator.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "run-example: the emulator did not start within 30 s:" >&2
  cat "$WORK/emulator.log" >&2
  return 1
}

main() {
  local root venv playbook collections
  root=$(repo_root)
  playbook=${FISKALY_EXAMPLE_PLAYBOOK:-$root/playbooks/quickstart.yml}
  [[ -f "$playbook" ]] || { echo "run-example: $playbook is missing" >&2; exit 1; }
  venv_ensure example
  venv=$VENV_DIR
  echo "run-example: ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)') on $("$venv/bin/python" -V)"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/fiskaly-example.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  collections=$("$root/tools/stage-collection.sh")
  start_emulator "$venv/bin/python" "$root"
  # shellcheck disable=SC1091  # written at run time by the emulator
  source "$WORK/env"
  echo "run-example: emulator at $FISKALY_BASE_URL"
  cd "$root"
  # No `exec`: the EXIT trap must stop the emulator afterwards.
  # The play targets the implicit localhost: silence the "no inventory" warnings.
  PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$collections" \
    ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
    "$venv/bin/ansible-playbook" "$playbook" \
    -e ansible_python_interpreter="$venv/bin/python" "$@"
}

main "$@"
