#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test sanity for one ansible-core line, offline-safe.
#
# Usage: tools/sanity.sh LINE [--python X.Y] [extra ansible-test sanity args...]
#   LINE         a line of tools/matrix.tsv, e.g. 2.19 (uses .venv/core-LINE, built by
#                tools/venv.sh if needed)
#   --python X   the Python to test on (default: the line's controller Python, the venv's).
#                For another one, pythonX.Y must run from PATH (or FISKALY_PYTHON_X_Y names
#                it); if it does not, this fails and says so: ansible-test itself would only
#                skip the tests for a missing interpreter, with a warning.
#   e.g.  tools/sanity.sh 2.21 --test pylint
#         tools/sanity.sh 2.19 --python 3.9 --test compile --test import
#
# Why a copy: ansible-test needs the collection at .../ansible_collections/NS/NAME and
# lints every file it sees; copying tracked + untracked-not-ignored files to a temp dir
# keeps venvs, caches and tests/output out of its sight and the checkout clean.
# Why --python always: without it ansible-test tries every python on PATH, and pyenv shims of
# versions that are not active fail. Why a bin directory of links: ansible-test runs its
# subprocesses with a filtered environment (no PYENV_VERSION), so a pyenv shim that works here
# fails there; each pythonX.Y is linked to the real interpreter found on PATH.
set -euo pipefail

# shellcheck source=tools/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"

main() {
  [[ $# -ge 1 ]] || { echo "usage: $0 LINE [--python X.Y] [ansible-test sanity args...]" >&2; exit 2; }
  local core=$1 root work dest pyver controller real var log rc=0
  shift
  root=$(repo_root)
  venv_ensure "core-$core"
  local venv=$VENV_DIR
  controller=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  pyver=$controller
  if [[ "${1:-}" == --python ]]; then
    [[ $# -ge 2 ]] || { echo "sanity.sh: --python needs a version" >&2; exit 2; }
    pyver=$2
    shift 2
  fi

  work=$(mktemp -d "${TMPDIR:-/tmp}/fiskaly-sanity-$core.XXXXXX")
  # shellcheck disable=SC2064  # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  dest="$("$root/tools/stage-collection.sh" --copy "$work")/ansible_collections/fiskaly/management"
  mkdir -p "$work/bin"

  # The interpreter to test on, as a real path (see the header).
  if [[ "$pyver" != "$controller" ]]; then
    var="FISKALY_PYTHON_${pyver//./_}"
    if ! real=$(find_python_version "$pyver" ${!var:+"${!var}"} "python$pyver"); then
      echo "sanity.sh: ansible-core $core: Python $pyver is needed (--python $pyver) but no python$pyver runs from PATH${!var:+ (nor $var=${!var})}: install it or set $var" >&2
      exit 1
    fi
    ln -s "$real" "$work/bin/python$pyver"
  fi

  # ansible-test's shellcheck test uses whatever shellcheck is on PATH; take the pinned
  # one from the tools venv when it is there (linked alone, so the tools venv's ansible
  # does not shadow this core's).
  if [[ -x "$root/.venv/tools/bin/shellcheck" ]]; then
    ln -s "$root/.venv/tools/bin/shellcheck" "$work/bin/shellcheck"
  fi

  "$root/tools/ansible-test-offline.sh" "$venv/bin/python"
  cd "$dest"
  echo "sanity: ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)') (controller python $controller), testing on python $pyver in $dest"
  log="$work/sanity.log"
  PATH="$venv/bin:$work/bin:$PATH" "$venv/bin/ansible-test" sanity --color=no --python "$pyver" "$@" 2>&1 |
    tee "$log" || rc=$?
  # ansible-test skips a test whose interpreter it cannot find, with a warning and exit 0.
  if grep -E 'Skipping sanity test .* due to missing interpreter|[Ii]nterpreter .* not found' "$log" >/dev/null; then
    echo "sanity.sh: ansible-test skipped tests for a missing interpreter: that counts as a failure" >&2
    [[ $rc -ne 0 ]] || rc=1
  fi
  return "$rc"
}

main "$@"
