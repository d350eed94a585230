# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A message that goes on after a failure's own words ends that sentence once: never with "..", whatever the failure
ended with (the API's own message, a lost secret's advice, an excerpt cut short)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils import _messages as messages
from ansible_collections.fiskaly.management.plugins.module_utils._errors import FiskalyError
from ansible_collections.fiskaly.management.plugins.module_utils._http.failures import ApiError, TransportError

FAILURES = {
    "an API message with its own full stop": ApiError(
        "Creating API key 'pos-1'", 503, "E_SERVICE_UNAVAILABLE", "Service Unavailable."
    ),
    "an API message without one": ApiError(
        "Creating API key 'pos-1'", 503, "E_SERVICE_UNAVAILABLE", "Service Unavailable"
    ),
    "a lost secret": FiskalyError(messages.lost_secret_message("pos-1", messages.request_ended_in("a timeout"))),
    "an excerpt cut short": TransportError(
        "Listing API keys", "malformed answer", messages.excerpt("<html>" + "x" * 300 + "</html>")
    ),
    "a full stop and white space": FiskalyError("The API is down. \n"),
}
COMPOSERS = {
    "may_have_created": messages.may_have_created,
    "other_failures": lambda failure: messages.other_failures(failure, 2),
    "writes_failed": lambda failure: messages.writes_failed(failure, 1),
    "secrets_kept_in": lambda failure: messages.secrets_kept_in(failure, 99, 0, "/tmp/keys.json"),
    "secrets_kept_in, some after": lambda failure: messages.secrets_kept_in(failure, 99, 2, "/tmp/keys.json"),
    "also_lost_secrets": lambda failure: messages.also_lost_secrets(failure, ["pos-01", "pos-02"]),
    "failed_with_last_resort": lambda failure: messages.failed_with_last_resort(
        failure, "secrets_file /x could not be written: No space left on device", "fleet[].secret"
    ),
}
# Two full stops in a row that are not part of an ellipsis, or more than three.
DOUBLED = re.compile(r"(?<!\.)\.\.(?!\.)|\.{4,}")


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
@pytest.mark.parametrize("compose", COMPOSERS.values(), ids=COMPOSERS.keys())
def test_no_message_reads_a_doubled_full_stop(compose, failure):
    message = compose(failure)
    assert str(failure).strip() and not DOUBLED.search(message), message
    # The failure's own words stay, and the next sentence follows after one space.
    assert str(failure).strip().rstrip(".") in message and ".  " not in message and " ." not in message


def test_a_sentence_gets_one_full_stop_and_keeps_its_own():
    assert messages.sentence("Service Unavailable") == "Service Unavailable."
    assert messages.sentence("Service Unavailable.") == "Service Unavailable."
    assert messages.sentence("cut short...") == "cut short..."
    assert messages.sentence("really?") == "really?"


def test_the_attempts_go_inside_the_sentence():
    assert messages.with_attempts("Service Unavailable.", 4) == "Service Unavailable (after 4 attempts)."
    assert messages.with_attempts("Service Unavailable", 4) == "Service Unavailable (after 4 attempts)"
    assert messages.with_attempts("cut short...", 2) == "cut short... (after 2 attempts)"
    assert messages.with_attempts("Service Unavailable.", 1) == "Service Unavailable."
