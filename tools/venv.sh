#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Virtualenvs of the test toolchain, under .venv/ in the checkout (gitignored).
#
#   .venv/core-LINE  one per line of tools/matrix.tsv (2.16 ... 2.22): that line's ansible-core
#                    (pip_spec) + tests/requirements.txt, on the line's controller Python
#   .venv/tools      Python 3.11 or newer: tests/requirements-tools.txt
#   .venv/example    (tools/run-example.sh) the newest Python on PATH, or FISKALY_PYTHON, with the
#                    newest ansible-core of the supported range (requires_ansible's floor in
#                    meta/runtime.yml up to tools/matrix.tsv's newest line) that it supports
#
# As a script:   tools/venv.sh [core-LINE|tools|all]...   (default: all)
#                builds what is missing or stale (up to VENV_JOBS=4 at once) and prints
#                "NAME PATH" for each venv.
# As a library:  source tools/venv.sh; venv_ensure core-2.21   # sets VENV_DIR
#                also: repo_root, matrix_rows, matrix_lines, matrix_field, find_python_version,
#                find_python_min, venv_ensure_many. Staging the checkout as the collection is
#                tools/stage-collection.sh, not this file.
#
# Interpreters are looked up on PATH, never at a fixed path: python3.13, python3.12, ... and
# python3. A line needs exactly its controller Python (column 2 of tools/matrix.tsv); set
# FISKALY_PYTHON_2_20=/path/to/python (dots of the line as underscores) or FISKALY_PYTHON_TOOLS
# to choose one by hand. When no interpreter is found, the build fails and names the line and
# the Python it needs.
# pyenv: when a `pyenv` command is on PATH and PYENV_VERSION is unset, every installed pyenv
# version is made visible (the current one first), so that its python3.X shims run.
#
# A venv is reused when its stamp (a hash of the interpreter version, the package spec and
# the requirements files) matches, so a warm call takes well under a second.
# A line with a pre_spec (column 4: no GA yet) gets its GA when one exists, else (and then
# only) the newest pre-release: pre_spec with --pre.

# Absolute path of the checkout (the collection root).
repo_root() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  dirname "$here"
}

# Make every installed pyenv version visible to pyenv's shims (python3.12, python3.13, ...),
# the current version first so that `python3` stays what it was. Only when the user has not
# chosen PYENV_VERSION themselves.
pyenv_expose_all() {
  local current others
  [[ -z "${PYENV_VERSION:-}" ]] || return 0
  command -v pyenv >/dev/null 2>&1 || return 0
  current=$(pyenv version-name 2>/dev/null) || return 0
  # Newest first: with two patch releases of one minor, the shim takes the first listed.
  others=$(pyenv versions --bare 2>/dev/null | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' |
    grep -vxF "$current" | sort -t. -k1,1nr -k2,2nr -k3,3nr | paste -sd: -) || true
  export PYENV_VERSION="$current${others:+:$others}"
}
pyenv_expose_all

# The rows of tools/matrix.tsv without comments, one "line controller pip_spec release
# module_pythons" per output line (single spaces).
matrix_rows() {
  awk '!/^[[:space:]]*(#|$)/ { print $1, $2, $3, $4, $5 }' "$(repo_root)/tools/matrix.tsv"
}

# The core lines, oldest first.
matrix_lines() {
  matrix_rows | cut -d' ' -f1
}

# matrix_field LINE N: column N (1-based) of LINE's row; fails for an unknown line.
matrix_field() {
  local row
  row=$(matrix_rows | awk -v l="$1" '$1 == l') || return 1
  [[ -n "$row" ]] || return 1
  cut -d' ' -f"$2" <<<"$row"
}

# find_python_where CONDITION [CANDIDATE...]: print sys.executable of the first candidate that
# runs, has venv, and for which the Python expression CONDITION (on sys) is true. pyenv shims
# exist for versions that are not installed; running them is the test.
find_python_where() {
  local condition=$1 cand
  shift
  for cand in "$@"; do
    [[ -n "$cand" ]] || continue
    # sys.executable: the real interpreter, not the shim that started it.
    if "$cand" -c "import sys, venv; assert $condition; print(sys.executable)" 2>/dev/null; then
      return 0
    fi
  done
  return 1
}

# find_python_version VERSION [CANDIDATE...]: the first candidate that is exactly Python VERSION
# (MAJOR.MINOR). Default candidates: pythonVERSION, python3.
find_python_version() {
  local want=$1
  shift
  [[ $# -gt 0 ]] || set -- "python$want" python3
  find_python_where "'%d.%d' % sys.version_info[:2] == '$want'" "$@"
}

# find_python_min MIN [CANDIDATE...]: the first candidate that runs and is at least MIN.
find_python_min() {
  local min=$1
  shift
  find_python_where "sys.version_info[:2] >= tuple(map(int, '$min'.split('.')))" "$@"
}

# The newest Python on PATH, 3.10 at least (ansible-core 2.16's floor): python3.15 ...
# python3.10 and python3, by version.
find_python_newest() {
  local cand exe best="" bestv=0 v
  for cand in python3.{15..10} python3; do
    exe=$(find_python_min 3.10 "$cand") || continue
    v=$("$exe" -c 'import sys; print(sys.version_info[0] * 100 + sys.version_info[1])')
    if [[ $v -gt $bestv ]]; then
      best=$exe
      bestv=$v
    fi
  done
  [[ -n "$best" ]] && printf '%s\n' "$best"
}

# ansible-core's supported range as a pip spec: from requires_ansible's floor (meta/runtime.yml)
# to below the minor after tools/matrix.tsv's newest line.
supported_core_spec() {
  local floor newest
  floor=$(sed -n 's/^requires_ansible:[[:space:]]*["'\'']*>=[[:space:]]*\([0-9.]*\).*/\1/p' "$(repo_root)/meta/runtime.yml")
  newest=$(matrix_lines | tail -n 1)
  printf 'ansible-core>=%s,<%s.%s\n' "$floor" "${newest%%.*}" "$((${newest#*.} + 1))"
}

# Interpreter for a venv name; on failure says what is missing.
venv_python_for() {
  local name=$1 line want var
  case "$name" in
    core-*)
      line=${name#core-}
      want=$(matrix_field "$line" 2) || { echo "venv.sh: '$line' is no line of tools/matrix.tsv" >&2; return 2; }
      var="FISKALY_PYTHON_${line//./_}"
      if [[ -n "${!var:-}" ]]; then
        find_python_min 3 "${!var}" && return 0
        echo "venv.sh: ansible-core $line: $var=${!var} does not run" >&2
        return 1
      fi
      find_python_version "$want" && return 0
      echo "venv.sh: ansible-core $line needs Python $want: no python$want (nor a python3 of that version) on PATH runs; install it or set $var" >&2
      return 1 ;;
    tools)
      find_python_min 3.11 "${FISKALY_PYTHON_TOOLS:-}" python3 python3.11 python3.12 python3.13 && return 0
      echo "venv.sh: the tools venv needs Python 3.11 or newer (python3, python3.11, ...) on PATH, or FISKALY_PYTHON_TOOLS" >&2
      return 1 ;;
    example)
      if [[ -n "${FISKALY_PYTHON:-}" ]]; then
        find_python_min 3.10 "$FISKALY_PYTHON" && return 0
        echo "venv.sh: FISKALY_PYTHON=$FISKALY_PYTHON does not run, or is older than 3.10" >&2
        return 1
      fi
      find_python_newest && return 0
      echo "venv.sh: the example needs Python 3.10 or newer (python3.13, python3.12, ..., python3 on PATH), or FISKALY_PYTHON" >&2
      return 1 ;;
    *) echo "venv.sh: unknown venv '$name'" >&2; return 2 ;;
  esac
}

# pip arguments (package spec and requirement files) for a venv name.
venv_pip_args() {
  local root=$1 name=$2
  case "$name" in
    core-*) printf '%s\n' "$(matrix_field "${name#core-}" 3)" -r "$root/tests/requirements.txt" ;;
    tools) printf '%s\n' -r "$root/tests/requirements-tools.txt" ;;
    # What the modules need (requirements.txt) and the emulator (trustme).
    example) printf '%s\n' "$(supported_core_spec)" -r "$root/requirements.txt" 'trustme>=1.1,<2' ;;
  esac
}

# Hash of everything that decides the venv's content.
venv_stamp() {
  local python=$1 root=$2 name=$3 arg
  {
    "$python" -c 'import sys; print(sys.version)'
    # Relative paths: checkouts in other places (worktrees sharing one .venv) get the same stamp.
    venv_pip_args "$root" "$name" | sed "s#$root/##g"
    [[ "$name" != core-* ]] || matrix_field "${name#core-}" 4
    while IFS= read -r arg; do
      if [[ -f "$arg" ]]; then cat "$arg"; fi
    done < <(venv_pip_args "$root" "$name")
  } | sha256sum | cut -d' ' -f1
}

# pip install into a fresh venv. A line with a pre_spec (no GA yet) tries pip_spec first and
# takes pre_spec with --pre only when pip finds no ansible-core for pip_spec.
venv_install() {
  local name=$1 dir=$2 log=$3 pre_spec=- arg
  shift 3
  local -a pip=("$dir/bin/python" -m pip install --disable-pip-version-check --no-input) pre_args=()
  [[ "$name" != core-* ]] || pre_spec=$(matrix_field "${name#core-}" 4)
  if [[ "$pre_spec" == - ]]; then
    "${pip[@]}" "$@" >>"$log" 2>&1
    return
  fi
  if "${pip[@]}" "$@" >"$log.ga" 2>&1; then
    cat "$log.ga" >>"$log"
    rm -f "$log.ga"
    echo "venv.sh: $name: a GA release of ansible-core $1 exists now: set the line's pre_spec in tools/matrix.tsv to '-'" >&2
    return 0
  fi
  if ! grep -q 'No matching distribution found for ansible-core' "$log.ga"; then
    cat "$log.ga" >>"$log"
    rm -f "$log.ga"
    return 1
  fi
  rm -f "$log.ga"
  # The same arguments with pre_spec in place of pip_spec (the first one).
  pre_args=("$pre_spec")
  for arg in "${@:2}"; do pre_args+=("$arg"); done
  echo "venv.sh: $name: no GA release on the index yet: installing the newest pre-release (--pre '$pre_spec')" >&2
  echo "venv.sh: no GA for $1: pip install --pre $pre_spec" >>"$log"
  "${pip[@]}" --pre "${pre_args[@]}" >>"$log" 2>&1
}

# Create or reuse one venv; sets VENV_DIR. pip's chatter goes to .venv/NAME.log and is
# shown only when the install fails.
venv_ensure() {
  local name=$1 root python stamp dir log
  local -a args
  root=$(repo_root)
  python=$(venv_python_for "$name") || { echo "venv.sh: cannot build .venv/$name" >&2; return 1; }
  dir="$root/.venv/$name"
  log="$root/.venv/$name.log"
  stamp=$(venv_stamp "$python" "$root" "$name")
  # shellcheck disable=SC2034  # read by the scripts that source this file
  VENV_DIR=$dir
  if [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" && -x "$dir/bin/python" ]]; then
    return 0
  fi
  mapfile -t args < <(venv_pip_args "$root" "$name")
  echo "venv.sh: building $dir with $python" >&2
  rm -rf "$dir"
  mkdir -p "$root/.venv"
  : >"$log"
  if ! { "$python" -m venv "$dir" >>"$log" 2>&1 && venv_install "$name" "$dir" "$log" "${args[@]}"; }; then
    cat "$log" >&2
    echo "venv.sh: building $dir with $python FAILED (log: $log)" >&2
    return 1
  fi
  # Written last: an interrupted build is redone next time.
  echo "$stamp" >"$dir/.stamp"
}

# The names of every venv: core-LINE for each matrix line, then tools.
venv_all_names() {
  local line
  for line in $(matrix_lines); do echo "core-$line"; done
  echo tools
}

# venv_ensure_many NAME...: build (or reuse) several venvs, VENV_JOBS (default 4) at a time:
# a build is mostly download and unpack time. Fails when any fails; each failure is named.
venv_ensure_many() {
  local name jobs=${VENV_JOBS:-4} rc=0 pid
  local -A pending=()
  for name in "$@"; do
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
      wait -n || true
    done
    venv_ensure "$name" &
    pending[$!]=$name
  done
  for pid in "${!pending[@]}"; do
    if ! wait "$pid"; then
      echo "venv.sh: .venv/${pending[$pid]} FAILED" >&2
      rc=1
    fi
  done
  return "$rc"
}

venv_main() {
  set -euo pipefail
  local name
  local -a names=("$@")
  if [[ ${#names[@]} -eq 0 || "${names[0]}" == all ]]; then
    mapfile -t names < <(venv_all_names)
  fi
  venv_ensure_many "${names[@]}"
  for name in "${names[@]}"; do
    echo "$name $(repo_root)/.venv/$name"
  done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  venv_main "$@"
fi
