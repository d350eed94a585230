# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""validate_certs false: a warning the user sees once, on the screen, and none of urllib3's. A playbook cannot read
its own output, so this stays here; expiring tokens, transport failures and ca_path are the ansible-test targets
tests/integration/targets/fiskaly_token and connection_options."""

from __future__ import annotations

TOKEN = "fiskaly.management.fiskaly_token"


def test_validate_certs_false_connects_and_warns(ansible, emulator):
    defaults = {
        "base_url": emulator.base_url,
        "api_key": emulator.api_key,
        "api_secret": emulator.api_secret,
        "validate_certs": False,
    }

    run = ansible.playbook(
        [{"name": "login", TOKEN: {}}], connection=False, module_defaults=defaults, shows=("tokens",)
    )

    result = run.task("login")
    assert run.status("login") == "ok", run.output[-3000:]
    assert any("validate_certs is false" in warning for warning in result["warnings"])
    assert "[WARNING]: validate_certs is false" in run.output
    # One warning from the module, not one from urllib3 per request.
    assert "InsecureRequestWarning" not in run.output
    assert len(emulator.requests("POST", "/auth")) == 1
