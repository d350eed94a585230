# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Masking the secrets a module returns, where ansible-core can (internal to this collection, not a public API).

ansible-core 2.22 added ``ansible.module_utils.secrets``: a value registered there is shown as
``$REDACTED$`` in every display and every callback, while a registered variable keeps the value.
Older cores have no such registry; there ``no_log`` and the secret files keep secrets out of the output.

What gets registered, and when:

- access and refresh tokens, always: a new login replaces a token that masking hid;
- a key's one-time secret, only where the task's registered variable is sure to keep it (decided by the
  action plugin ``fiskaly_api_key`` on the controller, from the task's keywords): elsewhere a failure may
  end the play and the variable with it, or there is no variable (an ad hoc ``ansible -m fiskaly_api_key``
  call), so the output is the only copy and masking it would lose it for good.
"""

from __future__ import annotations

try:
    from ansible.module_utils.secrets import register_secrets
except ImportError:  # ansible-core before 2.22
    register_secrets = None

HAS_SECRET_MASKING = register_secrets is not None


def key_secrets(result: dict) -> list[str]:
    """The one-time key secrets in a fiskaly_api_key result: its own, and each fleet entry's."""
    values = [result.get("secret")] + [
        entry.get("secret") for entry in result.get("fleet") or [] if isinstance(entry, dict)
    ]
    return [value for value in values if isinstance(value, str) and value]


def mask(values: list[str]) -> bool:
    """Register ``values`` for masking; tells whether this ansible-core masks them."""
    if register_secrets is None:
        return False
    if values:
        register_secrets(values)
    return True
