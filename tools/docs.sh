#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The module and role reference, generated from the plugins' own documentation
# (DOCUMENTATION/EXAMPLES/RETURN, doc fragments, roles/*/meta/argument_specs.yml). It is never
# committed: a generated copy in the tree goes stale, so CI builds it and lints it instead.
#
# Usage: tools/docs.sh build [DIR]  write the reference to DIR (default build/docs/reference,
#                                   ignored by git and by the collection build)
#        tools/docs.sh check        build it into a temp dir (antsibull-docs fails on broken
#                                   docs), then run `antsibull-docs lint-collection-docs
#                                   --plugin-docs` on the collection (docs/docsite/ guides,
#                                   links.yml, extra-docs.yml, plugin docs)
#
# antsibull-docs comes from .venv/tools/bin (built by tools/venv.sh tools) if present, else
# from PATH; its directory goes first on PATH because antsibull-docs runs `ansible` and
# `ansible-doc` from there. ANSIBLE_COLLECTIONS_PATH is set here to the collections root that
# tools/stage-collection.sh prints (this checkout as fiskaly.management).
#
# Output format: antsibull-docs `collection --output-format simplified-rst --squash-hierarchy`,
# plain RST files (index.rst plus one page per module and role) that read without Sphinx.
# --no-add-antsibull-docs-version keeps them free of tool versions and dates. Links that antsibull-docs writes for the Ansible
# docsite (../../fiskaly/management/NAME.html) are rewritten to the sibling .rst files.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COLLECTION=fiskaly.management

usage() {
  echo "usage: $0 build [DIR] | check" >&2
  exit 2
}

find_antsibull_docs() {
  if [[ -x "$ROOT/.venv/tools/bin/antsibull-docs" ]]; then
    printf '%s\n' "$ROOT/.venv/tools/bin/antsibull-docs"
  elif command -v antsibull-docs >/dev/null 2>&1; then
    command -v antsibull-docs
  else
    echo "docs.sh: antsibull-docs not found: run tools/venv.sh tools, or install antsibull-docs" >&2
    return 1
  fi
}

# generate DEST: write the reference into the (new) directory DEST.
generate() {
  local dest=$1 file
  mkdir -p "$dest"
  chmod 700 "$dest" # antsibull-docs insists on a directory writable by its owner only
  antsibull-docs collection --use-current --fail-on-error \
    --output-format simplified-rst --squash-hierarchy \
    --no-add-antsibull-docs-version --cleanup everything \
    --dest-dir "$dest" "$COLLECTION" >"$WORK/antsibull-docs.log" 2>&1 || {
    cat "$WORK/antsibull-docs.log" >&2
    echo "docs.sh: antsibull-docs collection failed" >&2
    return 1
  }
  # Docsite links (HTML paths and Sphinx :ref: labels) -> links between the generated .rst
  # files, so that the reference reads on a forge without Sphinx.
  # shellcheck disable=SC2016  # the backquotes are RST, not shell
  while IFS= read -r -d '' file; do
    sed -i -E \
      -e 's#\.\./\.\./fiskaly/management/([A-Za-z0-9_]+)\.html#\1.rst#g' \
      -e 's#:ref:`([^`<]*) <ansible_collections\.fiskaly\.management\.([a-z0-9_]+_(module|role))>`#`\1 <\2.rst>`_#g' \
      -e 's#:ref:`([^`<]*) <ansible_collections\.fiskaly\.management\.docsite\.([a-z0-9_]+)>`#`\1 <\2.rst>`_#g' \
      -e 's#:ref:`ansible_collections\.fiskaly\.management\.docsite\.([a-z0-9_]+)`#`<\1.rst>`_#g' \
      -e 's#[ \t]+$##' \
      "$file"
  done < <(find "$dest" -name '*.rst' -print0)
  chmod 755 "$dest"
  find "$dest" -type f -exec chmod 644 {} +
}

main() {
  [[ $# -ge 1 ]] || usage
  local mode=$1 antsibull reference
  case "$mode:$#" in build:1 | build:2 | check:1) ;; *) usage ;; esac
  reference=$(realpath -m "${2:-$ROOT/build/docs/reference}")

  antsibull=$(find_antsibull_docs)
  PATH="$(dirname "$antsibull"):$PATH"
  export PATH
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/fiskaly-docs.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  ANSIBLE_COLLECTIONS_PATH=$("$ROOT/tools/stage-collection.sh")
  export ANSIBLE_COLLECTIONS_PATH
  export ANSIBLE_NOCOLOR=1 NO_COLOR=1

  generate "$WORK/reference"

  if [[ "$mode" == build ]]; then
    rm -rf "$reference"
    mkdir -p "$(dirname "$reference")"
    cp -R "$WORK/reference" "$reference"
    echo "docs.sh: wrote $(find "$reference" -type f | wc -l) files to $reference (open index.rst)"
    return 0
  fi

  echo "docs.sh: the reference builds ($(find "$WORK/reference" -name '*.rst' | wc -l) pages)"
  antsibull-docs lint-collection-docs --plugin-docs "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/fiskaly/management"
  echo "docs.sh: lint-collection-docs passed"
}

main "$@"
