#!/usr/bin/python
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: fiskaly_api_key_info
short_description: List the API keys of a fiskaly account
version_added: 1.0.0
description:
  - Reads one API key by name (on API 0.12, every key of that name) or by id (API 0.12), or lists the API keys that
    match the filters, in the order asked for.
  - Speaks both versions of the API, see O(api_version). On API 0.12 the keys are those of the organisation
    (O(organization_id)); O(kind) is refused there, since 0.12 has no kind (a key's environment is its C(_envs)), and
    O(status) is sent as one value (both values are the same keys as none, and are not sent). O(order_by=kind) is
    refused on 0.12 and O(order_by=created_at) on the draft. Nothing is silently dropped.
  - Without O(limit), returns every matching key, paging through the API 100 keys a request. Each page after the first
    also asks for the last key of the page before, so holds 99 new keys. Each key is returned once, also when one moved
    to the next page while the pages were read.
  - An answer that breaks the API's contract fails the task, saying what was wrong, be it a list or a key that is no
    JSON object, an item that is no API key object, a C(count) that is not a number of 0 or more, or a page that holds
    only keys of earlier pages (a server that ignores C(offset), which would otherwise repeat its first page).
  - The pages after the first are read several at a time (O(max_concurrent_requests)), never more than that many
    beyond the last page taken, whatever C(count) an answer announces.
  - Where the account changed while it was listed (a page's C(count) differs from the first page's, or a page does not
    begin with the key the page before ended with), a key may have moved onto a page read before it moved; the module
    then lists the keys again, one page at a time. It returns the keys of that second listing in its order, each key
    only the first listing found (one deleted meanwhile, say) after the key it followed there, and no more than
    O(limit). Should the account change during that second listing too, it warns and returns RV(listing_changed).
  - Not seen as a change, and harmless, are changes that move no key across the boundary of two pages between their
    reads, for example a key created and another deleted, both on the same side of every boundary; no key that existed
    from the start of the listing to its end is left out.
  - Never returns a secret; the API shows a key's secret only once, to the request that creates the key.
author:
  - fiskaly.management maintainers (@fiskaly)
options:
  name:
    description:
      - Read only this key. A name that does not exist gives an empty list, not a failure.
      - On API 0.12, where names are not known to be unique, every key of that name (read from the listing).
      - O(kind) and O(status) still filter it; O(order_by), O(order), O(limit) and O(offset) do not apply.
    type: str
  id:
    description:
      - API 0.12 only. Read only the key with this C(_id). An id that does not exist gives an empty list.
      - O(status) still filters it; O(order_by), O(order), O(limit) and O(offset) do not apply.
    type: str
  kind:
    description: Only keys of these kinds, each named once. API v0.1.0-draft only.
    type: list
    elements: str
    choices: [test, live]
  status:
    description: Only keys with these statuses, each named once.
    type: list
    elements: str
    choices: [enabled, disabled]
  order_by:
    description:
      - The property to sort by. Without it, the API's own order.
      - V(kind) on API v0.1.0-draft only, V(created_at) on API 0.12 only.
    type: str
    choices: [name, kind, status, created_at]
  order:
    description: The sorting order.
    type: str
    choices: [asc, desc]
    default: asc
  limit:
    description: Return at most this many keys. Without it, every matching key.
    type: int
  offset:
    description: Skip this many matching keys first.
    type: int
    default: 0
extends_documentation_fragment:
  - fiskaly.management.key_pair
  - fiskaly.management.access_token
  - fiskaly.management.connection
  - fiskaly.management.attributes
attributes:
  check_mode:
    support: full
    details: Reads only, in check mode as in a normal run.
  diff_mode:
    support: N/A
    details: Changes nothing.
seealso:
  - module: fiskaly.management.fiskaly_api_key
"""

EXAMPLES = r"""
- name: Audit every key
  fiskaly.management.fiskaly_api_key_info:
  register: all_keys

- name: The disabled live keys, by name
  fiskaly.management.fiskaly_api_key_info:
    kind: [live]
    status: [disabled]
    order_by: name
  register: closed_stores

- name: Does this key exist?
  fiskaly.management.fiskaly_api_key_info:
    name: pos-berlin-01
  register: berlin

- name: Fail when it does not
  ansible.builtin.assert:
    that: berlin.api_keys | length == 1

- name: The ten keys after the first twenty, by status
  fiskaly.management.fiskaly_api_key_info:
    order_by: status
    order: desc
    limit: 10
    offset: 20
"""

RETURN = r"""
api_keys:
  description:
    - The matching keys, without secrets, in the order asked for (O(order_by), O(order)), O(limit) at most.
    - Where the account changed while it was listed, a key deleted meanwhile may be among them.
  returned: success
  type: list
  elements: dict
  sample:
    - name: pos-berlin-01
      kind: live
      status: enabled
      metadata: {store: berlin}
      _id: 2c6c9f0e-3f57-4b83-9d3b-6a8e2f7a4c11
      _name: pos-berlin-01
      _type: API_KEY
count:
  description: How many keys match the filters, across all pages (whatever O(limit) and O(offset) are).
  returned: success
  type: int
  sample: 250
listing_changed:
  description:
    - Always true. The account changed while it was listed, and again while it was listed a second time, so a key may be
      missing (one that moved while the pages were read), or listed though it is gone. The task also warns.
  returned: when the account kept changing while it was listed
  type: bool
  sample: true
failure:
  description: The API's error, when a request failed.
  returned: failure
  type: dict
  contains:
    status:
      description: The HTTP status, or null when no answer came.
      type: int
    code:
      description: The API's error code, or what kind of failure it was (for example C(timeout)).
      type: str
    message:
      description: The API's message.
      type: str
"""

from ansible_collections.fiskaly.management.plugins.module_utils import _messages as messages
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.rules import listing_errors
from ansible_collections.fiskaly.management.plugins.module_utils._auth_options import AuthOptions
from ansible_collections.fiskaly.management.plugins.module_utils._connection_options import ConnectionOptions
from ansible_collections.fiskaly.management.plugins.module_utils._errors import InvalidInput
from ansible_collections.fiskaly.management.plugins.module_utils._http.client import FiskalyClient
from ansible_collections.fiskaly.management.plugins.module_utils._module import fiskaly_module, run

ARGUMENT_SPEC = {
    "name": {"type": "str"},
    "id": {"type": "str"},
    "kind": {"type": "list", "elements": "str", "choices": ["test", "live"]},
    "status": {"type": "list", "elements": "str", "choices": ["enabled", "disabled"]},
    "order_by": {"type": "str", "choices": ["name", "kind", "status", "created_at"]},
    "order": {"type": "str", "choices": ["asc", "desc"], "default": "asc"},
    "limit": {"type": "int"},
    "offset": {"type": "int", "default": 0},
}


def read_keys(client: FiskalyClient, params: dict) -> dict:
    if params["name"] is not None or params["id"] is not None:
        client.listing_filters(params["kind"], params["status"], None, None)  # what the version cannot filter fails
        if params["id"] is not None:
            if client.api.NAMES_ARE_UNIQUE:
                raise InvalidInput(messages.not_in_version("id", client.api.VERSION, messages.DRAFT_ADDRESSES_BY_NAME))
            found = client.get_api_key(params["id"])
            keys = [] if found is None else [found]
        else:
            keys = client.find_api_keys(params["name"])
        wanted = ("kind", "status")
        keys = [key for key in keys if all(not params[field] or key.get(field) in params[field] for field in wanted)]
        return {"changed": False, "api_keys": keys, "count": len(keys)}
    keys, count = client.list_api_keys(
        kind=params["kind"],
        status=params["status"],
        order_by=params["order_by"],
        order=params["order"],
        offset=params["offset"],
        limit=params["limit"],
    )
    result = {"changed": False, "api_keys": keys, "count": count}
    if client.listing_changed:
        result.update(listing_changed=True, warnings=[client.listing_changed])
    return result


def main() -> None:
    module = fiskaly_module(ARGUMENT_SPEC, AuthOptions(), ConnectionOptions(), mutually_exclusive=[("name", "id")])
    errors = listing_errors(module.params)
    if errors:
        module.fail_json(msg=messages.error_list(errors))
    run(module, lambda client: read_keys(client, module.params))


if __name__ == "__main__":
    main()
