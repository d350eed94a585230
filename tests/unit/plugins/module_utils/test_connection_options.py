# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ca_path must name a file whether or not validate_certs is on: a wrong path is a mistake either way."""

from __future__ import annotations

from ansible_collections.fiskaly.management.plugins.module_utils._connection_options import ConnectionOptions

DEFAULT_BASE_URL = ConnectionOptions.DEFAULT_BASE_URL
connection_errors = ConnectionOptions().value_errors

PARAMS = {
    "base_url": DEFAULT_BASE_URL,
    "ca_path": None,
    "validate_certs": True,
    "timeout": 30.0,
    "retries": 5,
    "retry_deadline": 60.0,
    "max_concurrent_requests": 10,
    "api_version": "auto",
    "organization_id": None,
}


def test_a_ca_path_that_is_no_file_with_validate_certs_false_is_refused_naming_both(tmp_path):
    missing = str(tmp_path / "missing" / "ca.pem")
    (error,) = connection_errors({**PARAMS, "ca_path": missing, "validate_certs": False})
    assert f"ca_path {missing} is no file" in error and "validate_certs is false" in error


def test_a_ca_path_that_is_a_directory_with_validate_certs_false_is_refused(tmp_path):
    (error,) = connection_errors({**PARAMS, "ca_path": str(tmp_path), "validate_certs": False})
    assert f"ca_path {tmp_path} is no file" in error and "validate_certs is false" in error


def test_a_ca_path_that_is_no_file_with_validate_certs_true_keeps_its_message(tmp_path):
    missing = str(tmp_path / "ca.pem")
    assert connection_errors({**PARAMS, "ca_path": missing}) == [
        f"ca_path must be a readable PEM file of certificate authorities, but {missing} is no file"
    ]


def test_a_ca_path_that_exists_or_none_is_taken_either_way(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    for validate_certs in (True, False):
        assert connection_errors({**PARAMS, "ca_path": str(bundle), "validate_certs": validate_certs}) == []
        assert connection_errors({**PARAMS, "validate_certs": validate_certs}) == []
