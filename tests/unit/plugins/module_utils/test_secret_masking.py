# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which returned values are secrets to mask, and that registering them reaches ansible-core 2.22's registry."""

from __future__ import annotations

from ansible_collections.fiskaly.management.plugins.module_utils import _secret_masking as secret_masking
from ansible_collections.fiskaly.management.plugins.module_utils._secret_masking import key_secrets, mask


def test_key_secrets_are_the_key_s_own_and_each_fleet_entry_s():
    result = {
        "secret": "one",
        "api_key": {"name": "x"},
        "fleet": [{"name": "a", "secret": "two"}, {"name": "b"}, {"secret": ""}],
    }
    assert key_secrets(result) == ["one", "two"]


def test_a_result_without_secrets_has_none_to_mask():
    assert key_secrets({"changed": False, "api_key": {"name": "x"}}) == []
    assert key_secrets({"fleet": None}) == []


def test_without_a_registry_nothing_is_registered_and_mask_says_so(monkeypatch):
    monkeypatch.setattr(secret_masking, "register_secrets", None)
    assert mask(["a-secret"]) is False


def test_with_a_registry_every_value_is_registered(monkeypatch):
    registered = []
    monkeypatch.setattr(secret_masking, "register_secrets", registered.extend)
    assert mask(["a-secret", "b-secret"]) is True
    assert registered == ["a-secret", "b-secret"]


def test_the_registry_is_used_exactly_where_ansible_core_has_one():
    try:
        from ansible.module_utils import secrets  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core before 2.22
        assert not secret_masking.HAS_SECRET_MASKING and mask(["unit-test-secret-0d1f"]) is False
        return
    assert secret_masking.HAS_SECRET_MASKING and mask(["unit-test-secret-0d1f"]) is True
    assert secrets.mask_secrets("token unit-test-secret-0d1f here") == "token $REDACTED$ here"
