#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Stage this checkout as the collection fiskaly.management: the one place that knows how (every
# tool, shell or Python, calls this; Python through tests/e2e/harness/collection_path.py).
#
# Usage: tools/stage-collection.sh
#          prints a collections root, a directory in which ansible_collections/fiskaly/management
#          is this checkout: for ANSIBLE_COLLECTIONS_PATH (ansible, ansible-lint, antsibull-docs,
#          molecule, pytest). A checkout that already lies at .../ansible_collections/fiskaly/management
#          is used where it is; any other gets a symlink in ${TMPDIR:-/tmp}/fiskaly-management-
#          collections-HASH (HASH: of the checkout's path, so each checkout has its own; outside
#          the checkout, so that nothing walking the checkout loops through it). The symlink is
#          replaced atomically, so that concurrent callers (pytest workers) never see it missing.
#        tools/stage-collection.sh --copy DIR
#          copies the collection's files (tracked, and untracked but not ignored: git ls-files)
#          to DIR/ansible_collections/fiskaly/management and prints DIR. For ansible-test,
#          which lints every file it sees: a copy keeps venvs, caches and tests/output away.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
NAMESPACE_DIR=ansible_collections/fiskaly

link_root() {
  local base link tmp
  if [[ "$(dirname "$ROOT")" == */$NAMESPACE_DIR && "$(basename "$ROOT")" == management ]]; then
    dirname "$(dirname "$(dirname "$ROOT")")"
    return
  fi
  base="${TMPDIR:-/tmp}/fiskaly-management-collections-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
  link="$base/$NAMESPACE_DIR/management"
  if [[ "$(readlink "$link" 2>/dev/null)" != "$ROOT" ]]; then
    mkdir -p "$base/$NAMESPACE_DIR"
    tmp=$(mktemp -u "$link.XXXXXX")
    ln -s "$ROOT" "$tmp"
    mv -T "$tmp" "$link"
  fi
  printf '%s\n' "$base"
}

copy_root() {
  local base=$1 dest f
  dest="$base/$NAMESPACE_DIR/management"
  mkdir -p "$dest"
  # .venv excluded by name too: a symlink to shared venvs is no directory, which .gitignore's ".venv/" misses.
  git -C "$ROOT" ls-files -z -co --exclude-standard -- . ':!:.venv' | while IFS= read -r -d '' f; do
    # Deleted but still tracked: skipped.
    [[ -e "$ROOT/$f" || -L "$ROOT/$f" ]] && printf '%s\0' "$f"
  done | (cd "$ROOT" && xargs -0 -r cp --parents -P -t "$dest")
  (cd "$base" && pwd -P)
}

case "${1:-}" in
  "") link_root ;;
  --copy)
    [[ $# -eq 2 ]] || { echo "usage: $0 [--copy DIR]" >&2; exit 2; }
    copy_root "$2" ;;
  *) echo "usage: $0 [--copy DIR]" >&2; exit 2 ;;
esac
