#!/usr/bin/env bash
# ansible-test sanity for one ansible-core line, offline-safe.
#
# Usage: tools/sanity.sh CORE [extra ansible-test sanity args...]
#   CORE  2.16 or 2.21 (uses .venv/core-CORE, built by tools/venv.sh if needed)
#   e.g.  tools/sanity.sh 2.21 --test pylint
#
# Why a copy: ansible-test needs the collection at .../ansible_collections/NS/NAME and
# lints every file it sees; copying tracked + untracked-not-ignored files to a temp dir
# keeps venvs, caches and tests/output out of its sight and the checkout clean.
# Why --python: without it ansible-test tries every python on PATH, and pyenv shims of
# versions that are not installed fail. The venv's own version is the one that works.
set -euo pipefail

# shellcheck source=tools/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"

main() {
  [[ $# -ge 1 ]] || { echo "usage: $0 CORE [ansible-test sanity args...]" >&2; exit 2; }
  local core=$1 root work dest pyver extra_path
  shift
  root=$(repo_root)
  venv_ensure "core-$core"
  local venv=$VENV_DIR
  pyver=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

  work=$(mktemp -d "${TMPDIR:-/tmp}/fiskaly-sanity-$core.XXXXXX")
  # shellcheck disable=SC2064  # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  dest=$(collection_copy "$work")

  # ansible-test's shellcheck test uses whatever shellcheck is on PATH; take the pinned
  # one from the tools venv when it is there (a dir holding only that binary, so the
  # tools venv's ansible does not shadow this core's).
  extra_path=""
  if [[ -x "$root/.venv/tools/bin/shellcheck" ]]; then
    mkdir -p "$work/bin"
    ln -s "$root/.venv/tools/bin/shellcheck" "$work/bin/shellcheck"
    extra_path="$work/bin:"
  fi

  "$root/tools/ansible-test-offline.sh" "$venv/bin/python"
  cd "$dest"
  echo "sanity: ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)') on python $pyver in $dest"
  PATH="$venv/bin:${extra_path}$PATH" "$venv/bin/ansible-test" sanity --color=no --python "$pyver" "$@"
}

main "$@"
