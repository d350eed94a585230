#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test integration for one ansible-core line, against the bundled emulator, offline;
# then the secret scan of everything the targets printed.
#
# Usage: tools/integration.sh LINE [TARGET...]
#   LINE     a line of tools/matrix.tsv, e.g. 2.21 (uses .venv/core-LINE, built by tools/venv.sh
#            if needed); the targets run with that venv's python (--local: no container)
#   TARGET   ansible-test target names or patterns (default: every target of
#            tests/integration/targets/)
#   e.g.  tools/integration.sh 2.21
#         tools/integration.sh 2.16 fiskaly_api_key
#
# What it does:
#   1. copies the collection (tracked + untracked-not-ignored files) to a temporary
#      .../ansible_collections/fiskaly/management, as tools/sanity.sh does;
#   2. writes there tests/integration/integration_config.yml, which ansible-test loads for every
#      target: fiskaly_emulator_json, the one connection file of this run's emulator (the
#      setup_emulator target starts the emulator when that file names none that answers, and
#      every later target reuses it); FISKALY_EMULATOR_JSON is exported with the same path for
#      plays run by hand. Without this script ansible-test's targets use
#      tests/output/.tmp/fiskaly-emulator.json (see setup_emulator/defaults/main.yml);
#   3. writes tests/integration/integration.cfg in its copy: the test callback result_log
#      (tests/e2e/harness/callback_plugins) records every host event, and log_path keeps
#      Ansible's own log, since ansible-test passes no environment variable through; the
#      committed file's callback, fiskaly_secret_scan (which scans each playbook of a plain
#      ansible-test run too), stays on the callback path;
#   4. runs `ansible-test integration --local -vvv` (the playbooks run at -vvv, so the scan
#      sees results, invocations and diffs), tee'd to a log;
#   5. asks the emulator for every secret it minted (GET admin_url/minted?since=0), stops it
#      (SIGTERM to the pid of its JSON file), and scans the ansible-test log, the callback
#      record and Ansible's log with the harness's rules (tests/e2e/harness/secret_scan.py): any
#      minted secret, input secret (the emulator's credentials) or Python traceback fails the
#      run. It prints "minted secrets found in target output: N (...)".
# Exit status: ansible-test's when it failed, else the scan's.
# KEEP_INTEGRATION_WORK=1 keeps the temporary directory (its path is printed).
set -euo pipefail

# shellcheck source=tools/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"

# Ask the emulator of the JSON file for its minted secrets (into $2) and stop it.
emulator_finish() {
  local python=$1 json=$2 minted=$3
  "$python" - "$json" "$minted" <<'PY'
import json
import os
import signal
import ssl
import sys
import time
import urllib.request

details = json.load(open(sys.argv[1], encoding="utf-8"))
context = ssl.create_default_context(cafile=details["ca_path"])
with urllib.request.urlopen(details["admin_url"] + "/minted?since=0", context=context, timeout=30) as answer:
    body = answer.read()
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "wb") as handle:
    handle.write(body)
os.kill(details["pid"], signal.SIGTERM)
stop = time.monotonic() + 15
while time.monotonic() < stop:
    try:
        os.kill(details["pid"], 0)
    except ProcessLookupError:
        break
    time.sleep(0.2)
else:
    sys.exit("integration.sh: the emulator (pid %d) did not stop within 15 s of SIGTERM" % details["pid"])
print("integration.sh: stopped the emulator (pid %d) after reading its %d minted secrets"
      % (details["pid"], json.loads(body)["count"]))
PY
}

main() {
  [[ $# -ge 1 ]] || { echo "usage: $0 LINE [TARGET...]" >&2; exit 2; }
  local core=$1 root work dest venv pyver json log events ansible_log rc=0 scan_rc=0
  shift
  root=$(repo_root)
  venv_ensure "core-$core"
  venv=$VENV_DIR
  pyver=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

  work=$(mktemp -d "${TMPDIR:-/tmp}/fiskaly-integration-$core.XXXXXX")
  if [[ "${KEEP_INTEGRATION_WORK:-0}" == 1 ]]; then
    echo "integration.sh: keeping $work"
  else
    # shellcheck disable=SC2064  # expand now: $work is local
    trap "rm -rf '$work'" EXIT
  fi
  dest="$("$root/tools/stage-collection.sh" --copy "$work")/ansible_collections/fiskaly/management"
  mkdir -p "$work/emulator"
  json="$work/emulator/fiskaly-emulator.json"
  log="$work/ansible-test.log"
  events="$work/results.jsonl"
  ansible_log="$work/ansible.log"
  export FISKALY_EMULATOR_JSON=$json

  printf -- '---\n# Written by tools/integration.sh for this run only.\nfiskaly_emulator_json: %s\n' "$json" \
    >"$dest/tests/integration/integration_config.yml"
  cat >"$dest/tests/integration/integration.cfg" <<EOF
# Written by tools/integration.sh for this run only.
[defaults]
callback_plugins = $dest/tests/e2e/harness/callback_plugins:$dest/tests/integration/targets/setup_emulator/callback_plugins
# result_log and fiskaly_secret_scan need no enabling (ansible-test sets ANSIBLE_CALLBACKS_ENABLED itself)
log_path = $ansible_log
retry_files_enabled = False

[callback_result_log]
log = $events
EOF

  cd "$dest"
  echo "integration: ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)') (python $pyver) in $dest"
  PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" integration --local --color=no --python "$pyver" -vvv "$@" 2>&1 |
    tee "$log" || rc=$?

  if [[ ! -f "$json" ]]; then
    echo "integration.sh: no emulator answers for this run ($json is gone): its minted secrets cannot be scanned for" >&2
    return $((rc ? rc : 1))
  fi
  cp "$json" "$work/emulator.json" # the emulator removes its own file when it stops
  emulator_finish "$venv/bin/python" "$json" "$work/minted.json" || { [[ $rc -ne 0 ]] || rc=1; }
  "$venv/bin/python" "$dest/tests/e2e/harness/secret_scan.py" --json "$work/emulator.json" \
    --minted "$work/minted.json" --events "$events" --events "$ansible_log" "$log" || scan_rc=$?
  [[ $rc -ne 0 ]] || rc=$scan_rc
  return "$rc"
}

main "$@"
