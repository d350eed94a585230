#!/usr/bin/env bash
# The whole test suite of fiskaly.management, from a fresh checkout, in stages:
#   setup (venvs) -> sanity and pytest for ansible-core 2.16 and 2.21 -> ansible-lint ->
#   molecule -> antsibull-docs -> antsibull-changelog -> ansible-builder -> package smoke ->
#   benchmark smoke (figures only).
#
# Usage: tools/run-tests.sh [STAGE...]
#   No argument runs every stage; otherwise only the named ones (setup always runs), e.g.
#   tools/run-tests.sh pytest-2.21 ansible-lint
#   Stages: sanity-2.16 sanity-2.21 pytest-2.16 pytest-2.21 ansible-lint molecule
#           docs-lint changelog-lint ee-create package benchmark
#   PYTEST_ARGS   pytest arguments (word-split; default "-n 2"), e.g. PYTEST_ARGS="-n 2 -k token"
#   KEEP_GOING=1  run the later stages after a failure too (exit status stays 1)
#
# Fails fast: the first failing stage ends the run. A stage whose inputs do not exist yet
# prints "SKIP: <reason>"; nothing is skipped silently. Ends with a summary table and a
# line "N passed, N failed".
set -euo pipefail

# shellcheck source=tools/venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"

ROOT=$(repo_root)
SKIP_RC=200
START=$SECONDS
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fiskaly-tests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# ANSIBLE_COLLECTIONS_PATH for the one-off tools: the checkout as fiskaly.management.
COLLECTIONS="$WORK/collections"
collection_link "$COLLECTIONS"

declare -a NAMES=() RESULTS=() TIMES=()
declare -a ONLY=("$@")
ALL_STAGES=" setup sanity-2.16 sanity-2.21 pytest-2.16 pytest-2.21 ansible-lint molecule docs-lint changelog-lint ee-create package benchmark "
for s in "${ONLY[@]}"; do
  [[ "$ALL_STAGES" == *" $s "* ]] || { echo "unknown stage '$s'; stages:$ALL_STAGES" >&2; exit 2; }
done

skip() {
  echo "SKIP: $*"
  exit "$SKIP_RC"
}

wanted() {
  local s
  [[ ${#ONLY[@]} -eq 0 || "$1" == setup ]] && return 0
  for s in "${ONLY[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  return 1
}

summary() {
  local i passed=0 failed=0 skipped=0
  printf '\n%-16s %-6s %8s\n' STAGE RESULT SECONDS
  for i in "${!NAMES[@]}"; do
    printf '%-16s %-6s %8s\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
    case "${RESULTS[$i]}" in PASS) passed=$((passed + 1)) ;; FAIL) failed=$((failed + 1)) ;; SKIP) skipped=$((skipped + 1)) ;; esac
  done
  echo
  echo "total: $((SECONDS - START))s"
  # Last line on purpose: CI reads the closing "N passed, N failed" line.
  echo "stages: $passed passed, $failed failed, $skipped skipped"
}

# run_stage NAME FUNCTION [ARGS...]: banner, timing, result. The function runs in a
# subshell with errexit on: bash ignores `set -e` inside functions called from an `if`,
# so the return code is taken without one.
run_stage() {
  local name=$1 rc start secs
  shift
  wanted "$name" || return 0
  printf '\n==================== STAGE %s ====================\n' "$name"
  start=$SECONDS
  set +e
  (
    set -euo pipefail
    "$@"
  )
  rc=$?
  set -e
  secs=$((SECONDS - start))
  NAMES+=("$name")
  TIMES+=("$secs")
  case $rc in
    0) RESULTS+=(PASS); echo "---- $name: PASS (${secs}s)" ;;
    "$SKIP_RC") RESULTS+=(SKIP); echo "---- $name: SKIP (${secs}s)" ;;
    *)
      RESULTS+=(FAIL)
      echo "---- $name: FAIL (exit $rc, ${secs}s)"
      FAILED=1
      if [[ "${KEEP_GOING:-0}" != 1 ]]; then
        summary
        exit 1
      fi
      ;;
  esac
}

# --- stages -------------------------------------------------------------------------

stage_setup() {
  # The three venvs build in parallel: it is mostly download and unpack time.
  local name pid rc=0
  local -a pids=()
  for name in core-2.16 core-2.21 tools; do
    venv_ensure "$name" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return "$rc"
}

stage_sanity() {
  "$ROOT/tools/sanity.sh" "$1"
}

# One pytest run per core: that core's venv first on PATH (its ansible-playbook) and
# FISKALY_TEST_PYTHON for the tests' ansible_python_interpreter.
stage_pytest() {
  local core=$1 venv="$ROOT/.venv/core-$1" rc=0
  local -a extra=()
  [[ -d "$ROOT/tests" ]] || skip "no tests/ directory"
  # Two workers, one per core: each has its own emulator; ansible runs are mostly waiting.
  read -r -a extra <<<"${PYTEST_ARGS:--n 2}"
  cd "$ROOT"
  # Keep caches out of the tree: no .pytest_cache, no __pycache__, hypothesis db in $WORK.
  PATH="$venv/bin:$PATH" FISKALY_TEST_PYTHON="$venv/bin/python" \
    PYTHONDONTWRITEBYTECODE=1 HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis-$core" \
    "$venv/bin/python" -m pytest tests -q -p no:cacheprovider "${extra[@]}" || rc=$?
  if [[ $rc -eq 5 ]]; then
    echo "pytest collected no tests: that counts as a failure" >&2
  fi
  return "$rc"
}

tools_env() {
  export PATH="$ROOT/.venv/tools/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
  # Plain logs: molecule and ansible color their output even without a terminal.
  export NO_COLOR=1 ANSIBLE_NOCOLOR=1 PY_COLORS=0
}

stage_ansible_lint() {
  [[ -f "$ROOT/.ansible-lint" ]] || skip "no .ansible-lint config"
  tools_env
  cd "$ROOT"
  ansible-lint --offline --profile production --nocolor
}

stage_molecule() {
  local dir ran=0
  [[ -d "$ROOT/extensions/molecule" ]] || skip "no extensions/molecule directory"
  tools_env
  cd "$ROOT/extensions"
  for dir in molecule/*/; do
    [[ -f "$dir/molecule.yml" ]] || continue
    echo "--- molecule test -s $(basename "$dir")"
    molecule test -s "$(basename "$dir")"
    ran=$((ran + 1))
  done
  [[ $ran -gt 0 ]] || skip "no scenario with molecule.yml under extensions/molecule"
}

# The generated reference must match the plugins' docs, and antsibull-docs' lint must pass.
stage_docs_lint() {
  compgen -G "$ROOT/plugins/modules/*.py" >/dev/null || skip "no modules in plugins/modules"
  "$ROOT/tools/docs.sh" check
}

stage_changelog_lint() {
  [[ -f "$ROOT/changelogs/config.yaml" ]] || skip "no changelogs/config.yaml"
  tools_env
  cd "$ROOT"
  antsibull-changelog lint
}

# meta/execution-environment.yml names its files relative to the collection root (that is
# how ansible-builder's introspection reads a collection's EE metadata), while
# `ansible-builder create --file` resolves them relative to the file. So stage the
# definition next to copies of the files it names, then create the build context.
stage_ee_create() {
  local ee="$ROOT/meta/execution-environment.yml" stage="$WORK/ee" f
  [[ -f "$ee" ]] || skip "no meta/execution-environment.yml"
  tools_env
  mkdir -p "$stage"
  cp "$ee" "$stage/execution-environment.yml"
  for f in requirements.txt bindep.txt; do
    [[ -f "$ROOT/$f" ]] && cp "$ROOT/$f" "$stage/"
  done
  ansible-builder create --file "$stage/execution-environment.yml" --context "$stage/context" -v 2
  # Containerfile or Dockerfile, depending on the container runtime ansible-builder finds.
  compgen -G "$stage/context/[CD]*file" >/dev/null
  grep -q 'requests' "$stage/context/_build/requirements.txt"
}

# Build the collection tarball, check it carries no caches or test output, install it
# into an empty path and smoke-test the installed copy.
# The benchmark's quick run, so that it keeps working: it prints figures and fails only when the
# collection misbehaves (a wrong request count, say), never on a time.
stage_benchmark() {
  [[ -f "$ROOT/tools/benchmark.py" ]] || skip "no tools/benchmark.py"
  "$ROOT/.venv/core-2.21/bin/python" "$ROOT/tools/benchmark.py" --quick
}

stage_package() {
  local out="$WORK/build" inst="$WORK/installed" tarball bad
  tools_env
  unset ANSIBLE_COLLECTIONS_PATH
  mkdir -p "$out" "$inst"
  ansible-galaxy collection build "$ROOT" --output-path "$out"
  tarball=$(echo "$out"/fiskaly-management-*.tar.gz)
  [[ -f "$tarball" ]] || { echo "no tarball built" >&2; return 1; }
  tar -tzf "$tarball" >"$WORK/tarball.txt"
  echo "$(wc -l <"$WORK/tarball.txt") entries in $(basename "$tarball")"
  bad=$(grep -E '(^|/)(\.venv|__pycache__|\.pytest_cache|\.hypothesis|\.ansible|\.cache)(/|$)|(^|/)tests/output(/|$)|\.pyc$' \
    "$WORK/tarball.txt" || true)
  if [[ -n "$bad" ]]; then
    echo "tarball holds files that must not ship:" >&2
    echo "$bad" >&2
    return 1
  fi
  ansible-galaxy collection install --offline -p "$inst" "$tarball"
  test -f "$inst/ansible_collections/fiskaly/management/MANIFEST.json"
  if [[ -f "$ROOT/tools/smoke-installed.sh" ]]; then
    # Run with the newest core, as a user of the installed collection would.
    PATH="$ROOT/.venv/core-2.21/bin:$PATH" bash "$ROOT/tools/smoke-installed.sh" "$inst"
  else
    echo "SKIP: tools/smoke-installed.sh does not exist yet (build + install checked)"
  fi
}

main() {
  echo "fiskaly.management test suite in $ROOT (CI=${CI:-false})"
  run_stage setup stage_setup
  run_stage sanity-2.16 stage_sanity 2.16
  run_stage sanity-2.21 stage_sanity 2.21
  run_stage pytest-2.16 stage_pytest 2.16
  run_stage pytest-2.21 stage_pytest 2.21
  run_stage ansible-lint stage_ansible_lint
  run_stage molecule stage_molecule
  run_stage docs-lint stage_docs_lint
  run_stage changelog-lint stage_changelog_lint
  run_stage ee-create stage_ee_create
  run_stage package stage_package
  run_stage benchmark stage_benchmark
  summary
  return "$FAILED"
}

main
