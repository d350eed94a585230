#!/usr/bin/env bash
# Virtualenvs of the test toolchain, under .venv/ in the checkout (gitignored).
#
#   .venv/core-2.16  python3 (3.11)      ansible-core>=2.16,<2.17 + tests/requirements.txt
#   .venv/core-2.21  python 3.12 / 3.13  ansible-core>=2.21,<2.22 + tests/requirements.txt
#   .venv/tools      python3 (3.11)      tests/requirements-tools.txt
#
# As a script:   tools/venv.sh [core-2.16|core-2.21|tools|all]...   (default: all)
#                prints "NAME PATH" for each venv after making sure it is current.
# As a library:  source tools/venv.sh; venv_ensure core-2.21   # sets VENV_DIR
#                also: repo_root, collection_files, collection_copy, collection_link
#
# A venv is reused when its stamp (a hash of the interpreter version, the package
# spec and the requirements files) matches, so a warm call takes well under a second.
# Set FISKALY_PYTHON_2_16 / FISKALY_PYTHON_2_21 / FISKALY_PYTHON_TOOLS to choose the
# interpreters by hand.

# Absolute path of the checkout (the collection root).
repo_root() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  dirname "$here"
}

# Print the first candidate that runs and is at least python MAJOR.MINOR "$1".
# pyenv shims exist for versions that are not installed; running them is the test.
find_python() {
  local min=$1 cand
  shift
  for cand in "$@"; do
    [[ -n "$cand" ]] || continue
    # sys.executable: the real interpreter, not the shim that started it.
    if "$cand" -c "import sys, venv; assert sys.version_info[:2] >= tuple(map(int, '$min'.split('.'))); print(sys.executable)" \
      2>/dev/null; then
      return 0
    fi
  done
  return 1
}

# Interpreter for a venv name.
venv_python_for() {
  case "$1" in
    core-2.16)
      find_python 3.10 "${FISKALY_PYTHON_2_16:-}" python3.11 /root/.pyenv/versions/3.11*/bin/python3.11 \
        python3.12 python3.10 python3 ;;
    core-2.21)
      find_python 3.12 "${FISKALY_PYTHON_2_21:-}" /root/.pyenv/versions/3.12*/bin/python3.12 \
        /root/.pyenv/versions/3.13*/bin/python3.13 python3.12 python3.13 python3 ;;
    tools)
      find_python 3.11 "${FISKALY_PYTHON_TOOLS:-}" python3 python3.11 python3.12 ;;
    *) echo "venv.sh: unknown venv '$1'" >&2; return 2 ;;
  esac
}

# pip arguments (package spec and requirement files) for a venv name.
venv_pip_args() {
  local root=$1 name=$2
  case "$name" in
    core-2.16) printf '%s\n' 'ansible-core>=2.16,<2.17' -r "$root/tests/requirements.txt" ;;
    core-2.21) printf '%s\n' 'ansible-core>=2.21,<2.22' -r "$root/tests/requirements.txt" ;;
    tools) printf '%s\n' -r "$root/tests/requirements-tools.txt" ;;
  esac
}

# Hash of everything that decides the venv's content.
venv_stamp() {
  local python=$1 root=$2 name=$3 arg
  {
    "$python" -c 'import sys; print(sys.version)'
    venv_pip_args "$root" "$name"
    while IFS= read -r arg; do
      [[ -f "$arg" ]] && cat "$arg"
    done < <(venv_pip_args "$root" "$name")
  } | sha256sum | cut -d' ' -f1
}

# Create or reuse one venv; sets VENV_DIR. pip's chatter goes to .venv/NAME.log and is
# shown only when the install fails.
venv_ensure() {
  local name=$1 root python stamp dir log
  local -a args
  root=$(repo_root)
  python=$(venv_python_for "$name") || { echo "venv.sh: no suitable python for $name" >&2; return 1; }
  dir="$root/.venv/$name"
  log="$root/.venv/$name.log"
  stamp=$(venv_stamp "$python" "$root" "$name")
  VENV_DIR=$dir
  if [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" && -x "$dir/bin/python" ]]; then
    return 0
  fi
  mapfile -t args < <(venv_pip_args "$root" "$name")
  echo "venv.sh: building $dir with $python" >&2
  rm -rf "$dir"
  mkdir -p "$root/.venv"
  if ! { "$python" -m venv "$dir" &&
    "$dir/bin/python" -m pip install --disable-pip-version-check --no-input "${args[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "venv.sh: building $dir FAILED (log: $log)" >&2
    return 1
  fi
  # Written last: an interrupted build is redone next time.
  echo "$stamp" >"$dir/.stamp"
}

# The collection's files: tracked plus untracked-but-not-ignored, NUL-separated.
# Deleted-but-tracked files are skipped.
collection_files() {
  local root f
  root=$(repo_root)
  git -C "$root" ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
    [[ -e "$root/$f" || -L "$root/$f" ]] && printf '%s\0' "$f"
  done
}

# Copy the collection into "$1"/ansible_collections/fiskaly/management; prints that path.
collection_copy() {
  local base=$1 root dest
  root=$(repo_root)
  dest="$base/ansible_collections/fiskaly/management"
  mkdir -p "$dest"
  collection_files | (cd "$root" && xargs -0 cp --parents -P -t "$dest")
  printf '%s\n' "$dest"
}

# Make "$1"/ansible_collections/fiskaly/management a symlink to the checkout, so
# ANSIBLE_COLLECTIONS_PATH="$1" runs the working tree as fiskaly.management.
collection_link() {
  local base=$1
  mkdir -p "$base/ansible_collections/fiskaly"
  ln -sfn "$(repo_root)" "$base/ansible_collections/fiskaly/management"
}

venv_main() {
  set -euo pipefail
  local name
  local -a names=("$@")
  [[ ${#names[@]} -gt 0 && "${names[0]}" != all ]] || names=(core-2.16 core-2.21 tools)
  for name in "${names[@]}"; do
    venv_ensure "$name"
    echo "$name $VENV_DIR"
  done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  venv_main "$@"
fi
