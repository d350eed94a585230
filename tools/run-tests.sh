#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The whole test suite of fiskaly.management, from a fresh checkout, in stages:
#   setup (venvs) -> support-range -> workflow-lint -> style -> sanity, units, integration and
#   pytest for every ansible-core line of tools/matrix.tsv (2.16 ... 2.22) -> emulator ->
#   ansible-lint -> molecule ->
#   antsibull-docs -> antsibull-changelog -> ansible-builder -> package smoke -> benchmark smoke
#   (figures only).
#
# Usage: tools/run-tests.sh [STAGE...]
#   No argument runs every stage; otherwise only the named ones (setup always runs, and builds
#   only the venvs those stages need), e.g. tools/run-tests.sh pytest-2.21 ansible-lint
#   Stages: support-range workflow-lint style sanity-LINE units-LINE integration-LINE
#           pytest-LINE (for each LINE of tools/matrix.tsv) emulator ansible-lint molecule
#           docs-lint changelog-lint ee-create package benchmark
#     support-range  tools/check_support_range.py --venvs: runtime.yml, README, docs, EE, the
#                    GitHub workflow and galaxy.yml agree with tools/matrix.tsv
#     workflow-lint  check-jsonschema (GitHub's workflow schema, vendored) on .github/workflows,
#                    and .ci/run through the pinned shellcheck
#     style          ruff format --check, ruff check and reuse lint on the whole tree, and the
#                    pre-commit configuration that runs the same
#     sanity-LINE    ansible-test sanity on the line's controller Python, then its compile and
#                    import tests on each module Python the matrix lists for the line
#     units-LINE     ansible-test units (tests/unit) with that line's ansible-core
#     integration-LINE  ansible-test integration (tests/integration/targets) against the
#                    emulator, and the secret scan of its output
#     pytest-LINE    what a playbook cannot express (PYTEST_DIRS: faults, signals, concurrency, races, the
#                    convergence property, the secret scan) with that line's ansible-core
#     emulator       tests/e2e/emulator, once (they do not depend on ansible-core)
#   PYTEST_ARGS   pytest arguments (word-split; default "-n 2"), e.g. PYTEST_ARGS="-n 2 -k token"
#   KEEP_GOING=1  run the later stages after a failure too (exit status stays 1)
#   Interpreters: see tools/venv.sh (found on PATH; FISKALY_PYTHON_<LINE> and
#   FISKALY_PYTHON_<X_Y> override). A Python that a matrix entry needs and that cannot be found
#   fails the run, naming the line and the Python.
#
# Fails fast: the first failing stage ends the run. A stage whose inputs do not exist yet
# prints "SKIP: <reason>"; nothing is skipped silently. Ends with a summary table and a
# line "stages: N passed, N failed, N skipped".
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
COLLECTIONS=$("$ROOT/tools/stage-collection.sh")

declare -a NAMES=() RESULTS=() TIMES=()
declare -a ONLY=("$@")
mapfile -t LINES < <(matrix_lines)
[[ ${#LINES[@]} -gt 0 ]] || { echo "tools/matrix.tsv lists no ansible-core line" >&2; exit 2; }
# The newest line with a GA release: what a user gets, so the one-off stages run with it.
NEWEST_GA=$(matrix_rows | awk '$4 == "-" { l = $1 } END { print l }')
PER_LINE_STAGES=(sanity units integration pytest)
# The pytest suites, each a folder named for what it holds.
PYTEST_DIRS=(tests/e2e/faults tests/e2e/signals tests/e2e/concurrency tests/e2e/races tests/e2e/convergence tests/e2e/secret_scan)
ALL_STAGES=" setup support-range workflow-lint style"
for stage in "${PER_LINE_STAGES[@]}"; do
  for line in "${LINES[@]}"; do ALL_STAGES+=" $stage-$line"; done
done
ALL_STAGES+=" emulator ansible-lint molecule docs-lint changelog-lint ee-create package benchmark "
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

# The venvs the wanted stages need, built in parallel (tools/venv.sh, VENV_JOBS at a time).
stage_setup() {
  local stage
  local -A need=()
  for stage in $ALL_STAGES; do
    wanted "$stage" || continue
    case "$stage" in
      setup) ;;
      sanity-*) need["core-${stage#sanity-}"]=1; need[tools]=1 ;; # tools: the pinned shellcheck
      units-* | integration-* | pytest-*) need["core-${stage#*-}"]=1 ;;
      emulator | benchmark) need["core-$NEWEST_GA"]=1 ;;
      package) need["core-$NEWEST_GA"]=1; need[tools]=1 ;;
      *) need[tools]=1 ;;
    esac
  done
  echo "venvs: ${!need[*]}"
  venv_ensure_many "${!need[@]}"
}

# The matrix, the supported range wherever it is stated, and the venvs' ansible-core versions.
stage_support_range() {
  "$ROOT/.venv/tools/bin/python" "$ROOT/tools/check_support_range.py" --venvs
}

# The GitHub workflow against GitHub's schema (vendored in check-jsonschema: no network), and
# .ci/run, which ansible-test's shellcheck does not see (no .sh suffix).
stage_workflow_lint() {
  local -a workflows=()
  compgen -G "$ROOT/.github/workflows/*.yml" >/dev/null || skip "no .github/workflows/*.yml"
  workflows=("$ROOT"/.github/workflows/*.yml)
  "$ROOT/.venv/tools/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
  "$ROOT/.venv/tools/bin/shellcheck" "$ROOT/.ci/run"
  echo "shellcheck: .ci/run passed"
}

# ansible-test sanity on the line's controller Python, then compile + import on each module
# Python of the line's matrix row. Every one runs, and every failure is named at the end.
stage_sanity() {
  local line=$1 py pythons rc=0
  local -a failed=()
  "$ROOT/tools/sanity.sh" "$line" || { rc=1; failed+=("sanity (controller Python)"); }
  pythons=$(matrix_field "$line" 5)
  [[ "$pythons" == - ]] && pythons=""
  for py in ${pythons//,/ }; do
    echo "--- ansible-core $line: compile and import on Python $py"
    "$ROOT/tools/sanity.sh" "$line" --python "$py" --test compile --test import || {
      rc=1
      failed+=("compile/import on Python $py")
    }
  done
  if [[ $rc -ne 0 ]]; then
    echo "sanity-$line failed: ${failed[*]}" >&2
  fi
  return "$rc"
}

# pytest DIR... with one line's venv: that venv first on PATH (its ansible-playbook) and
# FISKALY_TEST_PYTHON for the tests' ansible_python_interpreter. Exit 5 (no tests) fails.
run_pytest() {
  local line=$1 venv="$ROOT/.venv/core-$1" rc=0 dir
  shift
  local -a extra=()
  for dir in "$@"; do
    [[ -d "$ROOT/$dir" ]] || { echo "$dir does not exist" >&2; return 1; }
  done
  # Two workers, one per core: each has its own emulator; ansible runs are mostly waiting.
  read -r -a extra <<<"${PYTEST_ARGS:--n 2}"
  cd "$ROOT"
  echo "pytest $* with ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)') on $("$venv/bin/python" -V)"
  # Keep caches out of the tree: no .pytest_cache, no __pycache__, hypothesis db in $WORK.
  PATH="$venv/bin:$PATH" FISKALY_TEST_PYTHON="$venv/bin/python" ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS" \
    PYTHONDONTWRITEBYTECODE=1 HYPOTHESIS_STORAGE_DIRECTORY="$WORK/hypothesis-$line" \
    "$venv/bin/python" -m pytest "$@" -q "${extra[@]}" || rc=$?
  if [[ $rc -eq 5 ]]; then
    echo "pytest collected no tests: that counts as a failure" >&2
  fi
  return "$rc"
}

# ruff (formatter and linter, configured in pyproject.toml), the licence headers (REUSE.toml),
# and the pre-commit configuration that runs them on every commit.
stage_style() {
  local bin="$ROOT/.venv/tools/bin"
  cd "$ROOT"
  "$bin/ruff" format --check .
  "$bin/ruff" check .
  "$bin/reuse" lint --lines
  "$bin/pre-commit" validate-config .pre-commit-config.yaml
  echo "style: ruff format, ruff check, reuse lint and the pre-commit configuration passed"
}

stage_units() {
  bash "$ROOT/tools/units.sh" "$1"
}

stage_integration() {
  bash "$ROOT/tools/integration.sh" "$1"
}

# What a playbook cannot express, with the secret scan of every run's output, on one line.
stage_pytest() {
  run_pytest "$1" "${PYTEST_DIRS[@]}"
}

# The emulator's own tests do not involve ansible-core: once, with the newest GA line's venv.
stage_emulator() {
  run_pytest "$NEWEST_GA" tests/e2e/emulator
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

# The reference must build from the plugins' docs, and antsibull-docs' lint must pass.
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

# The benchmark's quick run, so that it keeps working: it prints figures and fails only when the
# collection misbehaves (a wrong request count, say), never on a time.
stage_benchmark() {
  [[ -f "$ROOT/tests/e2e/benchmark/test_benchmark.py" ]] || skip "no tests/e2e/benchmark/test_benchmark.py"
  FISKALY_BENCHMARK=quick PYTEST_ARGS=-s run_pytest "$NEWEST_GA" tests/e2e/benchmark
}

# Build the collection tarball, check it carries no caches or test output, install it
# into an empty path and smoke-test the installed copy.
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
  bad=$(grep -E '(^|/)(\.venv|__pycache__|\.pytest_cache|\.hypothesis|\.ruff_cache|\.ansible|\.cache)(/|$)|(^|/)tests/output(/|$)|\.pyc$' \
    "$WORK/tarball.txt" || true)
  if [[ -n "$bad" ]]; then
    echo "tarball holds files that must not ship:" >&2
    echo "$bad" >&2
    return 1
  fi
  ansible-galaxy collection install --offline -p "$inst" "$tarball"
  test -f "$inst/ansible_collections/fiskaly/management/MANIFEST.json"
  if [[ -f "$ROOT/tools/smoke-installed.sh" ]]; then
    # Run with the newest GA core, as a user of the installed collection would.
    PATH="$ROOT/.venv/core-$NEWEST_GA/bin:$PATH" bash "$ROOT/tools/smoke-installed.sh" "$inst"
  else
    echo "SKIP: tools/smoke-installed.sh does not exist yet (build + install checked)"
  fi
}

main() {
  local line stage
  echo "fiskaly.management test suite in $ROOT (CI=${CI:-false}); ansible-core lines: ${LINES[*]}"
  run_stage setup stage_setup
  run_stage support-range stage_support_range
  run_stage workflow-lint stage_workflow_lint
  run_stage style stage_style
  for stage in "${PER_LINE_STAGES[@]}"; do
    for line in "${LINES[@]}"; do run_stage "$stage-$line" "stage_$stage" "$line"; done
  done
  run_stage emulator stage_emulator
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
