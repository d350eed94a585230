#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test units for one ansible-core line, offline-safe: tests/unit as a contributor runs it.
#
# Usage: tools/units.sh LINE [extra ansible-test units args...]
#   LINE   a line of tools/matrix.tsv, e.g. 2.21 (uses .venv/core-LINE, built by tools/venv.sh
#          if needed), on the line's controller Python (the venv's)
#   e.g.  tools/units.sh 2.21
#         tools/units.sh 2.16 tests/unit/plugins/module_utils/test_client.py
#
# Why --local: the line's venv already holds what the unit tests need (requests, pytest,
# pytest-xdist; tests/requirements.txt), so no index is asked and nothing is installed into it.
# An existing .venv/core-LINE is used as it is (tools/venv.sh builds a missing one).
# Why a copy: as for tools/sanity.sh, ansible-test needs the collection at
# .../ansible_collections/NS/NAME, which also puts it on the import path of the tests. The copy
# holds tests/unit and no other test directory: pytest would also load tests/e2e/conftest.py (the
# emulator and harness fixtures of the pytest suites), which is not the unit tests' concern.
set -euo pipefail

# shellcheck source=tools/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"

main() {
  [[ $# -ge 1 ]] || { echo "usage: $0 LINE [ansible-test units args...]" >&2; exit 2; }
  local core=$1 root work dest controller started rc=0
  shift
  root=$(repo_root)
  local venv="$root/.venv/core-$core"
  if [[ ! -x "$venv/bin/ansible-test" ]]; then
    venv_ensure "core-$core"
    venv=$VENV_DIR
  fi
  controller=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

  work=$(mktemp -d "${TMPDIR:-/tmp}/fiskaly-units-$core.XXXXXX")
  # shellcheck disable=SC2064  # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  dest="$("$root/tools/stage-collection.sh" --copy "$work")/ansible_collections/fiskaly/management"
  find "$dest/tests" -mindepth 1 -maxdepth 1 ! -name unit ! -name config.yml -exec rm -rf {} +

  "$root/tools/ansible-test-offline.sh" "$venv/bin/python" >/dev/null
  cd "$dest"
  echo "units: ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)') on python $controller (--local $venv) in $dest"
  started=$SECONDS
  PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" units --color=no --local --python "$controller" "$@" || rc=$?
  echo "units: ansible-core $core: exit $rc after $((SECONDS - started)) s"
  return "$rc"
}

main "$@"
