# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fiskaly_api_key_info's main() against the emulator: paging, by name, filters, check mode, failures, and no secret."""

from __future__ import annotations

from ansible_collections.fiskaly.management.plugins.modules import fiskaly_api_key, fiskaly_api_key_info

NAMES = [f"key-{number:04d}" for number in range(250)]


def seed(emulator) -> None:
    emulator.seed_keys(
        [{"name": name, "kind": ("test", "live")[number % 2], "status": "enabled"} for number, name in enumerate(NAMES)]
    )


def listings(emulator) -> list[dict]:
    return [entry["query"] for entry in emulator.requests("GET", "/api_keys") if entry["path"] == "/api_keys"]


def test_lists_every_key_in_pages_and_changes_nothing(run_module, emulator):
    seed(emulator)

    run = run_module(fiskaly_api_key_info, order_by="name")

    assert run["changed"] is False and run["count"] == 250
    assert [key["name"] for key in run["api_keys"]] == NAMES
    # The first page alone and first, the pages its count announces read concurrently, in any order.
    offsets = [query["offset"] for query in listings(emulator)]
    # Each page after the first also asks for the last key of the page before.
    assert offsets[0] == ["0"] and sorted(int(offset[0]) for offset in offsets[1:]) == [99, 198]


def test_check_mode_reads_the_same(run_module, emulator):
    seed(emulator)

    real = run_module(fiskaly_api_key_info, kind=["live"], order_by="name")
    checked = run_module(fiskaly_api_key_info, check_mode=True, kind=["live"], order_by="name")

    assert checked["changed"] is False and checked["api_keys"] == real["api_keys"] and checked["count"] == 125
    assert all(key["kind"] == "live" for key in checked["api_keys"])


def test_a_name_reads_one_key_and_a_missing_name_gives_an_empty_list(run_module, emulator):
    seed(emulator)

    found = run_module(fiskaly_api_key_info, name="key-0007")
    missing = run_module(fiskaly_api_key_info, name="no-such-key")
    filtered_out = run_module(fiskaly_api_key_info, name="key-0007", kind=["test"])

    assert [key["name"] for key in found["api_keys"]] == ["key-0007"] and found["count"] == 1
    assert missing["api_keys"] == [] and missing["count"] == 0 and "failed" not in missing
    assert filtered_out["api_keys"] == [] and filtered_out["count"] == 0


def test_a_window_asks_for_no_more_than_it_returns_and_one_key_of_overlap(run_module, emulator):
    seed(emulator)

    run = run_module(fiskaly_api_key_info, order_by="name", offset=30, limit=150)

    assert [key["name"] for key in run["api_keys"]] == NAMES[30:180] and run["count"] == 250
    assert [(query["offset"], query["limit"]) for query in listings(emulator)] == [(["30"], ["100"]), (["129"], ["51"])]


def test_no_key_carries_a_secret_not_even_one_just_created(run_module, emulator, minted):
    created = run_module(fiskaly_api_key, name="pos-unit-new", kind="test")

    run = run_module(fiskaly_api_key_info)

    assert [key["name"] for key in run["api_keys"]] == ["pos-unit-new"]
    assert "secret" not in run["api_keys"][0]
    assert all(secret not in run.output for secret in minted()) and created["secret"] in minted()
    assert emulator.api_secret not in run.output


def test_a_bad_limit_fails_naming_the_option_before_any_request(run_module, emulator):
    run = run_module(fiskaly_api_key_info, limit=0, offset=-1)

    assert run["failed"] is True
    assert "limit must be 1 or more, got 0" in run["msg"] and "offset must be 0 or more, got -1" in run["msg"]
    assert emulator.requests() == []


def test_the_read_only_key_pair_may_list(run_module, emulator):
    seed(emulator)

    run = run_module(
        fiskaly_api_key_info, api_key=emulator.readonly_api_key, api_secret=emulator.readonly_api_secret, limit=5
    )

    assert run["count"] == 250 and len(run["api_keys"]) == 5
    assert emulator.readonly_api_secret not in run.output


def test_a_rejected_token_fails_with_the_api_status(run_module, emulator):
    run = run_module(fiskaly_api_key_info, api_key=None, api_secret=None, access_token="not-a-token-the-api-issued")

    assert run["failed"] is True and run["failure"]["status"] == 401
    assert "HTTP 401" in run["msg"] and "not-a-token-the-api-issued" not in run.output
