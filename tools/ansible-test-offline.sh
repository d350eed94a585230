#!/usr/bin/env bash
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Seed ansible-test's get-pip cache so `ansible-test sanity` / `units --venv` work on
# networks that reach a Python package index (PyPI or a mirror) but not the host
# ansible-test downloads its pip bootstrap script from ("Download failed ... Name or
# service not known" on the first sanity run).
#
# Why: every virtualenv ansible-test creates is bootstrapped by running
#   ~/.ansible/test/cache/get_pip_<pip version, dots as underscores>.py
# and ansible-test downloads that script only when it is missing. This helper asks
# the installed ansible-test which pip (and, on older cores, setuptools/wheel)
# versions it pins, downloads those wheels with pip, and writes a small replacement
# get-pip script that installs them from the local wheels (no index needed).
#
# Usage:
#   tools/ansible-test-offline.sh [PYTHON]
#     PYTHON  interpreter of the environment ansible-core is installed in
#             (default: the python next to `ansible-test` on PATH, else python3).
#   Environment:
#     ANSIBLE_TEST_CACHE_DIR  cache dir (default ~/.ansible/test/cache, the one
#                             ansible-test reads; only change it to prepare a copy)
#     ANSIBLE_TEST_WHEEL_DIR  take the wheels from this directory instead of
#                             downloading them (fully air-gapped machines: fill it
#                             elsewhere with `pip download --no-deps pip==X ...`)
#   Examples:
#     .venv/core-2.21/bin/python -m pip install 'ansible-core>=2.21,<2.22'
#     tools/ansible-test-offline.sh .venv/core-2.21/bin/python
#     cd .../ansible_collections/fiskaly/management && ansible-test sanity --python 3.12
#
# Idempotent: wheels already in the cache are reused (a warm run takes about a second),
# the small script is rewritten, and a real get-pip script found in the cache is kept.
#
# Requirements by URL: a sanity test may pin a package to an archive on a code forge instead
# of the index (ansible-core 2.22.0rc1 pins pylint's `dill @ https://github.com/...zip`, "until
# dill is released with 3.15 support"). When that host cannot be reached, pip fails and the test
# cannot run. Then, and only then, this helper builds that test's virtual environment for
# PYTHON's version itself, where ansible-test would (~/.ansible/test/venv/sanity.NAME/X.Y/HASH,
# from ansible-test's own requirement commands), with the package taken from the index instead
# (its newest release, e.g. dill 0.4.1), and says so. ansible-test then reuses that environment.
# Set ANSIBLE_TEST_OFFLINE_NO_URL_SUBSTITUTES=1 to refuse this (the test then fails to install).
set -euo pipefail

MARKER='# written by fiskaly.management tools/ansible-test-offline.sh'

# Print the python to inspect: argument, else the one that runs ansible-test.
pick_python() {
  if [[ $# -gt 0 && -n "$1" ]]; then
    printf '%s\n' "$1"
    return
  fi
  local at
  if at=$(command -v ansible-test 2>/dev/null) && [[ -x "$(dirname "$at")/python" ]]; then
    printf '%s\n' "$(dirname "$at")/python"
  else
    command -v python3
  fi
}

# Print "name==version" lines of the packages ansible-test bootstraps a venv with.
# get_venv_packages() is the function ansible-test itself calls (2.16 .. 2.21).
infrastructure_packages() {
  "$1" - <<'PY'
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages

version = '%d.%d' % sys.version_info[:2]
for name, pinned in get_venv_packages(types.SimpleNamespace(version=version)).items():
    if pinned:
        print('%s==%s' % (name, pinned))
PY
}

# Download (or copy) one pinned wheel into the cache unless it is there already.
fetch_wheel() {
  local python=$1 spec=$2 cache=$3
  local name=${spec%%==*} version=${spec##*==}
  if compgen -G "$cache/${name}-${version}-*.whl" >/dev/null; then
    return
  fi
  if [[ -n "${ANSIBLE_TEST_WHEEL_DIR:-}" ]]; then
    cp "$ANSIBLE_TEST_WHEEL_DIR/${name}-${version}-"*.whl "$cache/"
  else
    "$python" -m pip download --quiet --disable-pip-version-check --no-deps \
      --only-binary=:all: --dest "$cache" "$spec"
  fi
}

# The replacement for get-pip.py. ansible-test runs it through runpy with argv
# like: --disable-pip-version-check pip==X [setuptools==Y wheel==Z] [--no-setuptools]
# [--no-wheel]. It imports pip from the wheel (a wheel is importable as a zip) and
# installs the requested pins from the wheels next to it.
write_get_pip() {
  local path=$1
  cat >"$path.tmp" <<PY
$MARKER
"""Offline stand-in for get-pip.py: installs pip from a local wheel."""
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OWN_OPTIONS = ('--no-setuptools', '--no-wheel')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in OWN_OPTIONS]
    pins = [arg for arg in args if '==' in arg and not arg.startswith('-')]
    wheels = []
    for pin in pins:
        name, version = pin.split('==', 1)
        wheels += glob.glob(os.path.join(HERE, '%s-%s-*.whl' % (name, version)))
    pip_wheels = [w for w in wheels if os.path.basename(w).startswith('pip-')]
    if not pip_wheels:
        sys.exit('no local pip wheel for %s in %s; rerun tools/ansible-test-offline.sh' % (pins, HERE))
    sys.path.insert(0, pip_wheels[0])
    from pip._internal.cli.main import main as pip_main
    # All pins are exact and present locally, so no index is needed.
    sys.exit(pip_main(['install', '--no-index', '--find-links', HERE,
                       '--upgrade', '--force-reinstall'] + args))


if __name__ == '__main__':
    main()
PY
  mv "$path.tmp" "$path"
}

# Build the sanity venvs whose requirements name a URL that does not answer (see the header).
seed_url_requirements() {
  "$1" - <<'PY'
import json
import os
import pathlib
import re
import subprocess
import sys
import urllib.request

from ansible_test._internal import python_requirements as pr
from ansible_test._internal.commands.sanity import hash_pip_commands
from ansible_test._internal.host_configs import NativePythonConfig, VirtualPythonConfig
from ansible_test._internal.util_common import yamlcheck

URL_REQ = re.compile(r'^([A-Za-z0-9_.-]+)\s*@\s*(https?://\S+?)(#\S*)?\s*$', re.M)
version = '%d.%d' % sys.version_info[:2]
req_dir = os.path.join(os.path.dirname(pr.__file__), '..', '_data', 'requirements')


def reachable(url):
    try:
        urllib.request.urlopen(urllib.request.Request(url, method='HEAD'), timeout=10).close()
        return True
    except Exception:  # pylint: disable=broad-except
        return False


for name in sorted(os.listdir(req_dir)):
    match = re.fullmatch(r'sanity\.(.+)\.txt', name)
    if not match:
        continue
    with open(os.path.join(req_dir, name)) as handle:
        urls = URL_REQ.findall(handle.read())
    if not urls or all(reachable(url) for _, url, _ in urls):
        continue
    test = match.group(1)
    python = NativePythonConfig(version=version, path=sys.executable)
    commands = pr.collect_requirements(python=python, controller=True, ansible=False, coverage=False,
                                       minimize=False, command=None, sanity=test)
    path = os.path.join(os.path.expanduser('~/.ansible/test/venv'), 'sanity.' + test, version,
                        hash_pip_commands(commands))
    if os.path.exists(os.path.join(path, 'marker.txt')):
        continue
    if os.environ.get('ANSIBLE_TEST_OFFLINE_NO_URL_SUBSTITUTES') == '1':
        print('ansible-test-offline: sanity.%s needs %s, which does not answer' % (test, ', '.join(u for _, u, _ in urls)))
        continue
    substituted = []
    for command in commands:
        if isinstance(command, pr.PipInstall):
            reqs = []
            for req_path, content in command.requirements:
                def plain(m):
                    substituted.append('%s @ %s -> %s from the index' % (m.group(1), m.group(2), m.group(1)))
                    return m.group(1)
                reqs.append((req_path, URL_REQ.sub(plain, content)))
            command.requirements[:] = reqs
    subprocess.run(['rm', '-rf', path], check=True)
    base = getattr(sys, '_base_executable', sys.executable)
    subprocess.run([base, '-m', 'venv', '--without-pip', path], check=True)
    venv_python = VirtualPythonConfig(version=version, path=os.path.join(path, 'bin', 'python'))
    subprocess.run([venv_python.path], input=pr.prepare_pip_script(commands), text=True, check=True)
    # What ansible-test writes after its own install (its hash is of the original commands).
    original = pr.collect_requirements(python=python, controller=True, ansible=False, coverage=False,
                                       minimize=False, command=None, sanity=test)
    with open(os.path.join(path, 'meta.install.json'), 'w') as handle:
        handle.write(json.dumps([c.serialize() for c in original], indent=4))
    with open(os.path.join(path, 'meta.yaml.json'), 'w') as handle:
        json.dump(yamlcheck(venv_python), handle)
    pathlib.Path(path, 'marker.txt').touch()
    print('ansible-test-offline: sanity.%s on Python %s: %s (host unreachable); built %s'
          % (test, version, '; '.join(substituted), path))
PY
}

main() {
  local python cache specs spec pip_version script
  python=$(pick_python "${1:-}")
  cache=${ANSIBLE_TEST_CACHE_DIR:-$HOME/.ansible/test/cache}
  mkdir -p "$cache"
  specs=$(infrastructure_packages "$python")
  pip_version=$(sed -n 's/^pip==//p' <<<"$specs")
  [[ -n "$pip_version" ]] || { echo "ansible-test-offline: no pip pin found via $python" >&2; exit 1; }
  for spec in $specs; do
    fetch_wheel "$python" "$spec" "$cache"
  done
  script="$cache/get_pip_${pip_version//./_}.py"
  if [[ -f "$script" ]] && ! grep -qF "$MARKER" "$script"; then
    echo "ansible-test-offline: keeping real get-pip script $script"
    return
  fi
  write_get_pip "$script"
  echo "ansible-test-offline: pip $pip_version bootstrap ready in $script ($(tr '\n' ' ' <<<"$specs"))"
  seed_url_requirements "$python"
}

main "$@"
