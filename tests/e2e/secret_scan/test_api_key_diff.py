# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What --diff prints for fiskaly.management.fiskaly_api_key at verbosity 0, where the diff is the only thing printed
about a result: headers naming each key, the status change as +/- lines, and never the new key's secret, although
the create task is not no_log. The diff's content (before, after, no secret) is asserted by the integration target
fiskaly_api_key (tasks/diff.yml); a play cannot read its own output."""

from __future__ import annotations

MODULE = "fiskaly.management.fiskaly_api_key"


def test_diff_output_names_each_key_and_never_shows_the_secret(ansible, emulator):
    emulator.seed_keys([{"name": "pos-on", "kind": "live", "status": "enabled", "metadata": {"store": "hamburg"}}])
    run = ansible.playbook(
        [
            {
                "name": "create",
                MODULE: {"name": "pos-diff-new", "kind": "test", "metadata": {"store": "munich"}},
                "register": "created",
            },
            {"name": "disable", MODULE: {"name": "pos-on", "state": "disabled"}},
            {
                "name": "keep the secret for the test",
                "no_log": True,
                "diff": False,
                "ansible.builtin.copy": {
                    "content": "{{ created.secret }}",
                    "dest": str(ansible.workdir / "s"),
                    "mode": "0600",
                },
            },
        ],
        diff=True,
        verbosity=0,
        shows=("pos-diff-new",),
    )  # no no_log: the secret reaches the callbacks (before 2.22)
    assert run.rc == 0, run.output
    secret = (ansible.workdir / "s").read_text()
    assert secret and secret not in run.output
    # What the user reads: headers naming each key, the new status as an added line.
    assert "API key pos-diff-new" in run.stdout and "API key pos-on" in run.stdout
    assert '+    "status": "disabled"' in run.stdout and '-    "status": "enabled"' in run.stdout
    assert '+    "name": "pos-diff-new"' in run.stdout
