# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What fiskaly_token's results look like to the callbacks, which a playbook cannot see (it sees its registered
variables only). The rest of fiskaly_token's behaviour is the ansible-test target tests/integration/targets/fiskaly_token."""

from __future__ import annotations

from harness import GROUP, MASK, MASKS_SECRETS, module_task


def assert_tokens_masked_where_the_core_masks(shown: dict, kept: dict) -> None:
    """What callbacks got: from ansible-core 2.22 on the tokens are masked, while the registered variable keeps them."""
    for name in ("access_token", "refresh_token"):
        assert shown[name] == (MASK if MASKS_SECRETS else kept[name])


def test_callbacks_get_tokens_masked_where_the_core_masks_and_censored_under_no_log(ansible, emulator):
    run = ansible.playbook(
        [
            module_task("login", "fiskaly_token", register="login"),
            # Only the refresh token: no key pair to fall back on.
            module_task(
                "refresh",
                "fiskaly_token",
                {"refresh_token": "{{ login.refresh_token }}"},
                register="refreshed",
                module_defaults={GROUP: {"base_url": emulator.base_url, "ca_path": emulator.ca_path}},
            ),
            module_task("login with no_log", "fiskaly_token", no_log=True),
        ],
        keep=("login", "refreshed"),
        shows=("tokens",),
    )
    assert run.rc == 0, run.output
    assert_tokens_masked_where_the_core_masks(run.task("login"), run.kept("login"))
    assert_tokens_masked_where_the_core_masks(run.task("refresh"), run.kept("refreshed"))
    assert "censored" in run.task("login with no_log")  # no_log hid the token from the callbacks
