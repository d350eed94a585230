#!/usr/bin/python
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: fiskaly_api_key
short_description: Manage fiskaly Management API keys, one or a whole fleet
version_added: 1.0.0
description:
  - Makes sure that an API key of the fiskaly Management API exists, with the wanted status.
  - Give O(name) for one key, or O(api_keys) to reconcile many keys in one task, with one login, one paged listing
    (100 keys a request) and one write for each real change. The role P(fiskaly.management.api_keys#role) uses that.
  - A second run with the same arguments reports no change and sends no write.
  - Speaks both versions of the API, see O(api_version) and the R(API versions
    guide,ansible_collections.fiskaly.management.docsite.guide_api_versions).
  - On API v0.1.0-draft a key cannot be deleted, nor its kind or metadata changed. When a given O(kind) or
    O(metadata) differs from an existing key's, the task fails, naming the key, the field, the existing value and the
    wanted one, before anything is written.
  - On API 0.12 a key is found by O(name) within the organisation, or by O(id). Names are not known to be unique
    there. Where several keys share the name, the task fails naming their ids, before any write. Two runs that declare
    the same new key at the same moment can both create it (no source shows a way to make a create idempotent); the
    next run then fails naming both ids. O(metadata) of an existing key is changed, O(state=absent) deletes it, and
    O(kind) is never sent.
  - The secret of a key is returned once, by the run that creates the key, and never again, by any call of the
    API. On API 0.12 a new key logs in with its C(key) (in RV(api_key), an identifier that may be shown) and its
    secret. Register the result with C(no_log) set to V(true), or use O(secret_file) or O(secrets_file) to keep it
    out of the output altogether.
  - On ansible-core 2.22 and later, the new secrets in a registered result are masked as C($REDACTED$) in every display
    and callback, while the variable keeps them, wherever the variable is sure to survive the task. That is where the
    task has C(ignore_errors) true (as evaluated when it runs), sits in the C(block) part of a block with a C(rescue)
    (at any depth, through nested blocks and includes), or has C(failed_when) V(false) (also in a C(loop)); and where
    the task succeeds without C(loop) or C(failed_when). A C(changed_when) that is a literal V(true) or V(false) changes
    none of this. A C(loop) is masked in those cases only on the local connection or with C(ignore_unreachable) true,
    since an item that finds the host unreachable takes it out of the play, whatever C(ignore_errors) or C(rescue) say.
  - Where a failure may end the play, and the registered variable with it, the output is the secrets' only copy, so it
    is not masked (on 2.22 as on older cores; use C(no_log), O(secret_file) or O(secrets_file) there). That is so for a
    task without C(register), such as an ad hoc call; a task that fails (its C(fatal:) line shows the secrets at the
    default verbosity); a C(loop) (each item's secret at C(-v)), and on another connection than the local one a C(loop)
    without C(ignore_unreachable); C(failed_when) with any other condition; C(changed_when) with a condition other than
    a literal V(true) or V(false) (an error in it fails the task); C(until) or C(retries) (a later attempt replaces the
    result); a C(register) mapping of projections (it may keep part of the result); C(async) (the secret arrives in the
    result of C(async_status), which nothing masks); and a task in the C(rescue) or C(always) part of a block, unless an
    enclosing block's C(rescue) holds it. The R(secrets
    guide,ansible_collections.fiskaly.management.docsite.guide_secrets) tells what each ansible-core shows in each case.
author:
  - fiskaly.management maintainers (@fiskaly)
options:
  name:
    description:
      - The name of the key, 3 to 30 lowercase letters, digits or hyphens (C(^[a-z0-9-]{3,30}$)).
      - One of O(name), O(id) and O(api_keys) is required; O(name) and O(api_keys) exclude each other.
      - O(metadata) and O(secret_file) go with O(name) or O(id) only.
    type: str
  id:
    description:
      - API 0.12 only. The C(_id) of an existing key, which addresses that one key whatever its name (where several
        keys share a name, say).
      - With O(name) too, the key must have that name (a key's name cannot be changed).
      - A key with a given id cannot be created; with O(state=absent), a key that no longer exists is no change.
    type: str
  state:
    description:
      - V(present) makes sure the key exists; a missing key is created enabled, an existing key's status is left alone.
      - V(enabled) and V(disabled) make sure the key exists with that status; a missing key is created with that status
        in one request.
      - V(absent) deletes the key (API 0.12 only; the draft cannot delete a key and refuses it, before any request when
        O(api_version=0.1.0-draft)). A key that does not exist is no change.
      - With O(api_keys), the state of each item that does not set its own.
    type: str
    choices: [present, enabled, disabled, absent]
    default: present
  kind:
    description:
      - The kind of the key. On API v0.1.0-draft, required to create a key; when given for an existing key, it must
        match.
      - On API 0.12 it is never sent. A key's environment there is its C(_envs) (V(TEST), V(LIVE)), which comes from its
        organisation. Given for an existing key, it must be among the key's C(_envs) (V(test) names V(TEST)); given for
        a key to be created, the task fails before any write, since nothing could make the new key that kind.
      - With O(api_keys), the kind of each item that does not set its own.
    type: str
    choices: [test, live]
  metadata:
    description:
      - Custom key-value data of the key, at most 20 properties, names of at most 40 characters, string values of at
        most 500 characters.
      - Set when the key is created. When given for an existing key, on API v0.1.0-draft it must match; on API 0.12 a
        different value is set with C(PATCH), which sends the whole wanted object, so that the key ends with these
        properties whether the API merges or replaces. No source says which it does, so a property removed from the
        wanted object is left on the key by an API that merges, and the next run then reports the change again.
    type: dict
  secret_file:
    description:
      - When this run creates the key, write its secret to this file on the host that runs the module, and leave the
        secret out of the result.
      - On API v0.1.0-draft the file holds the secret alone. On API 0.12 it holds the JSON object that logs in with the
        new key, with C(api_key) (the new key's C(key)) and C(api_secret), the body of C(POST /auth).
      - The file is created exclusively, with mode C(0600), before the key is created, and never overwritten. So the
        task fails before it creates the key wherever the file could not be created, as the operating system opens the
        path (it exists already, a directory on the way is missing, the file system refuses it). An empty value, or a
        path that names a directory (a trailing C(/)), is refused before any request.
      - A relative path is relative to the working directory of the module (that of C(ansible-playbook) with the local
        connection); RV(secret_file) and the messages give the absolute path.
      - Should writing the secret fail after all (a full disk), it goes to a new file of mode C(0600) named
        C(fiskaly-secret-*) beside the path, in the temporary directory or in the home directory, which RV(secret_file)
        and a warning name; where none can be written, it is returned as RV(secret), as a last resort, with
        RV(secret_file_error).
      - Nothing is left when the key exists already, nor in check mode; in check mode the file is created and removed
        at once, so that a dry run fails where the real run would.
      - Cannot be used with O(api_keys); use O(secrets_file) there.
    type: path
  api_keys:
    description:
      - Many keys to reconcile in one run, each with the options of a single key.
      - On API 0.12, an item may be V(absent), and may give an C(id).
      - Each item is a mapping (or a string that ansible-core reads as one, JSON or C(key=value)); any other item fails
        the task before any request, naming it, as in C(api_keys[0] must be a mapping of that key's options).
      - The names must be unique. Every item is checked, and every key planned, before the first write.
      - Cannot be used with O(name), O(metadata) or O(secret_file).
      - If a write fails, the task fails with the results of the keys handled so far, secrets included (or written to
        O(secrets_file)).
    type: list
    elements: dict
    suboptions:
      name:
        description: The name of the key, as O(name).
        type: str
        required: true
      id:
        description: As O(id).
        type: str
      state:
        description: As O(state). Defaults to O(state).
        type: str
        choices: [present, enabled, disabled, absent]
      kind:
        description: As O(kind). Defaults to O(kind).
        type: str
        choices: [test, live]
      metadata:
        description: As O(metadata).
        type: dict
  api_keys_file:
    description:
      - A file on the controller that holds the declaration, read there as a vars file is, whatever C(delegate_to)
        says, and taken as O(api_keys). So a large declaration (a CMDB export, thousands of keys) is read once, and
        never templated by ansible-core item by item.
      - The items reach the module as a JSON file in the task's temporary directory on the host that runs it, not in
        its arguments; the result's C(invocation) names the file given here.
      - YAML or JSON (JSON is YAML), possibly vault-encrypted. Either a list of items, or a mapping whose C(api_keys)
        is that list. Its items are checked as strictly as those of O(api_keys), each message naming the item, as in
        C(api_keys[3] has options a key does not take).
      - A relative path is looked for as a vars file is (beside the playbook or role, in its C(vars) or C(files)
        directory).
      - Cannot be used with O(name), O(id), O(api_keys), O(metadata) or O(secret_file).
    type: path
  undeclared:
    description:
      - With O(api_keys) or O(api_keys_file), what happens to the keys whose name starts with O(undeclared_prefix) and
        that no item declares.
      - V(leave) leaves them alone. V(disable) disables them. V(delete) deletes them (API 0.12 only; the draft cannot
        delete a key).
      - Check mode and diff show what would happen to them; their entries in RV(fleet) have RV(fleet[].undeclared).
      - The key the run logs in with (O(api_key)) is never disabled nor deleted; the module warns where it is in scope.
        So anything but V(leave) needs O(api_key) and O(api_secret); an O(access_token) alone does not tell which key
        made it.
    type: str
    choices: [leave, disable, delete]
    default: leave
  undeclared_prefix:
    description:
      - The scope of O(undeclared), a name prefix (for example C(pos-berlin-)), so that the declaration of one store's
        keys cannot touch another's. Required unless O(undeclared=leave).
      - A name prefix works on both API versions (the draft cannot add metadata to an existing key).
    type: str
  undeclared_limit:
    description:
      - How many keys one run may disable or delete under O(undeclared). Above it, the run fails before any write, in
        check mode too, naming them, so that a declaration cut short (a truncated export) cannot wipe a fleet.
      - Only keys that would change count (under V(disable), a key disabled already does not).
    type: int
    default: 10
  fleet_result:
    description:
      - V(changed) returns in RV(fleet) the entries of the keys that changed (or would, in check mode) or failed, and
        counts the rest in RV(summary), so that a run over 10,000 keys that changed three returns three entries.
      - V(all) returns an entry for every key.
    type: str
    choices: [changed, all]
    default: changed
  fleet_diff:
    description:
      - With C(--diff), V(lines) shows one line per changed key (its name, and each field that changes from what to
        what), grouped by action under a heading that counts them.
      - V(full) shows the before and after of each changed key, as for a single key.
    type: str
    choices: [lines, full]
    default: lines
  secrets_file:
    description:
      - With O(api_keys), write the secrets of the keys that this run creates to this file, as one JSON object from key
        name to secret, and leave them out of the result.
      - On API 0.12, from key name to the pair that logs in with the new key, an object with C(api_key) (the new
        key's C(key)) and C(api_secret).
      - Created and written as O(secret_file) is, before the first key is created; it keeps the secrets only when this
        run created a key, also when a later write fails.
      - Goes with O(api_keys) only.
    type: path
extends_documentation_fragment:
  - fiskaly.management.key_pair
  - fiskaly.management.access_token
  - fiskaly.management.connection
  - fiskaly.management.attributes
attributes:
  check_mode:
    support: full
    details: Reads the keys and reports what it would change; sends no C(PUT), C(POST), C(PATCH) nor C(DELETE).
  diff_mode:
    support: full
    details: >-
      Shows a key before and after (name, kind, status, metadata on the draft; name, status, metadata, _envs on 0.12;
      never the secret). A fleet shows one line per changed key, grouped by action, or with O(fleet_diff=full) the
      before and after of each.
seealso:
  - module: fiskaly.management.fiskaly_api_key_info
  - module: fiskaly.management.fiskaly_token
  - ref: fiskaly.management.api_keys role <ansible_collections.fiskaly.management.api_keys_role>
    description: Declare a whole fleet of keys.
"""

EXAMPLES = r"""
- name: Create the key of a store's till (its secret is shown this once)
  fiskaly.management.fiskaly_api_key:
    name: pos-berlin-01
    kind: live
    metadata:
      store: berlin
  register: pos_key
  no_log: true

- name: Keep the secret out of every log, write it to a file instead
  fiskaly.management.fiskaly_api_key:
    name: pos-berlin-02
    kind: live
    secret_file: /etc/pos/berlin-02.secret

- name: Disable the key of a closed store
  fiskaly.management.fiskaly_api_key:
    name: pos-hamburg-07
    state: disabled

- name: Declare a fleet in one task, secrets to a file
  fiskaly.management.fiskaly_api_key:
    kind: live
    state: enabled
    api_keys:
      - name: pos-munich-01
        metadata: {store: munich}
      - name: pos-munich-02
        metadata: {store: munich}
      - name: pos-cologne-01
        state: disabled
    secrets_file: /root/new-fiskaly-secrets.json

- name: API 0.12, a managed organisation's key, found by name; the pair that logs in goes to a file
  fiskaly.management.fiskaly_api_key:
    api_version: "0.12"
    organization_id: 5f1bb3e4-93c9-4d7e-8a65-0d3f1e6b2a90
    name: pos-berlin-03
    metadata: {store: berlin}
    secret_file: /etc/pos/berlin-03.json

- name: API 0.12, delete the key of a closed store
  fiskaly.management.fiskaly_api_key:
    name: pos-hamburg-07
    state: absent

- name: The whole truth for Berlin, read from a CMDB export on the controller; its closed tills' keys disabled
  fiskaly.management.fiskaly_api_key:
    api_keys_file: exports/berlin-tills.yml  # a list of {name, state, metadata}, or {api_keys: [...]}
    kind: live
    undeclared: disable
    undeclared_prefix: pos-berlin-
    undeclared_limit: 5
    secrets_file: /root/new-berlin-secrets.json

- name: Credentials from module_defaults
  module_defaults:
    group/fiskaly.management.fiskaly:
      api_key: "{{ vault_fiskaly_api_key }}"
      api_secret: "{{ vault_fiskaly_api_secret }}"
  block:
    - name: A test key for the staging till
      fiskaly.management.fiskaly_api_key:
        name: pos-staging
        kind: test
      register: staging_key
      no_log: true
"""

RETURN = r"""
api_key:
  description:
    - The key as it is after the run (as it would be, in check mode), without its secret.
    - On API 0.12 its fields are C(_id), C(_type), C(_envs), C(key) (the new key's api_key), C(name), C(status),
      C(metadata), C(managed_by_organization_id), C(created_at) and C(created_by_user); an empty object once deleted.
  returned: success, with O(name) or O(id)
  type: dict
  sample:
    name: pos-berlin-01
    kind: live
    status: enabled
    metadata: {store: berlin}
    _id: 2c6c9f0e-3f57-4b83-9d3b-6a8e2f7a4c11
    _name: pos-berlin-01
    _type: API_KEY
secret:
  description:
    - The secret of the key, returned by the run that created it and never again.
    - Absent when O(secret_file) is given.
  returned: when this run created the key
  type: str
secret_file:
  description:
    - The file that holds the secret of the key that this run created.
    - O(secret_file) as an absolute path, or, should writing it have failed, the fallback file that holds the secret
      instead (named C(fiskaly-secret-*)); the module then warns.
  returned: when this run created the key and O(secret_file) is given, unless no file could take the secret
  type: str
secret_file_error:
  description:
    - Why no file could take the secret of the key that this run created. The secret is then in RV(secret), as a last
      resort; store it now.
  returned: when O(secret_file) and every fallback file could not be written
  type: str
fleet:
  description:
    - The results of the items of O(api_keys) (or O(api_keys_file)), in their order, then those of the undeclared keys
      that O(undeclared) disables or deletes.
    - By default (O(fleet_result=changed)) only the keys that changed (or would, in check mode) or whose write failed;
      RV(summary) counts every key. With O(fleet_result=all), one result for each key, the unchanged and the not
      attempted (RV(fleet[].attempted)) included.
    - Named C(fleet), not C(results), which Ansible reserves for the results of a loop.
    - When a write fails or the module is stopped by a signal, the keys done so far, the key that failed (with
      RV(fleet[].error)) and, with O(fleet_result=all), the keys not attempted; the secrets of the keys created before
      go to O(secrets_file) all the same.
  returned: with O(api_keys) or O(api_keys_file), unless the input or the plan of the fleet was refused before any write
  type: list
  elements: dict
  contains:
    name:
      description: The name of the key.
      type: str
      returned: always
    changed:
      description: Whether the key was (or, in check mode, would be) changed.
      type: bool
      returned: always
    action:
      description: What was (or would be) done.
      type: str
      returned: always
      sample: create
    api_key:
      description: The key after the run, without its secret.
      type: dict
      returned: when the key was handled, or it failed but is known to exist
    secret:
      description: The secret of a key that this run created, unless O(secrets_file) is given.
      type: str
      returned: when this run created the key
    error:
      description:
        - Why the write of this key failed.
        - A key created whose secret was lost has RV(fleet[].changed) true, RV(fleet[].api_key) and
          RV(fleet[].secret_lost).
      type: str
      returned: for the key whose write failed
    secret_lost:
      description: Always true. The key was created, but its secret never came; it counts as created in RV(summary).
      type: bool
      returned: for a key created whose secret was lost
    attempted:
      description: Always false; the key was not handled because the write of an earlier key failed.
      type: bool
      returned: for each key after the one whose write failed, with O(fleet_result=all)
    undeclared:
      description: Always true. No item declares the key; O(undeclared) disables or deletes it.
      type: bool
      returned: for a key that O(undeclared) disables or deletes
summary:
  description:
    - How many keys were created, updated (metadata, API 0.12), enabled, disabled, deleted (API 0.12) and left
      unchanged, whose write failed, and which were not attempted, each key once (every declared key, and the
      undeclared keys that O(undeclared) changes), counted before RV(fleet) keeps only the keys that changed or failed.
      The counts add up to the number of keys declared, plus the undeclared keys changed.
    - A key counts by what was done, not by what was planned. On API v0.1.0-draft, a key that another run created after
      this one listed the keys (HTTP 409 to the create) is reconciled with the key found, and counts as that action
      (most often unchanged).
    - A key created whose secret was lost counts as created, not as failed; its entry has RV(fleet[].secret_lost).
  returned: with O(api_keys) or O(api_keys_file), unless the input or the plan of the fleet was refused before any write
  type: dict
  sample: {created: 2, updated: 0, enabled: 0, disabled: 1, deleted: 0, unchanged: 997, failed: 0, not_attempted: 0}
secrets_file:
  description:
    - The file that holds the secrets of the keys that this run created.
    - O(secrets_file), or a fallback file, as for RV(secret_file).
  returned: when this run created a key and O(secrets_file) is given, unless no file could take the secrets
  type: str
secrets_file_error:
  description:
    - Why no file could take the secrets of the keys that this run created. They are then in RV(fleet[].secret), as a
      last resort; store them now.
  returned: when O(secrets_file) and every fallback file could not be written
  type: str
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

from typing import Any

from ansible_collections.fiskaly.management.plugins.module_utils import _messages as messages
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.declared_items import (
    ITEM_OPTIONS,
    KEY_OPTIONS,
    read_items,
)
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.plans import DesiredKey
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.rules import desired_key_errors
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.run import (
    FleetOptions,
    reconcile_fleet,
    reconcile_one,
)
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.undeclared import (
    DEFAULT_LIMIT,
    UndeclaredPolicy,
    policy_errors,
)
from ansible_collections.fiskaly.management.plugins.module_utils._auth_options import AuthOptions
from ansible_collections.fiskaly.management.plugins.module_utils._connection_options import ConnectionOptions
from ansible_collections.fiskaly.management.plugins.module_utils._http.client import FiskalyClient
from ansible_collections.fiskaly.management.plugins.module_utils._module import fiskaly_module, run

FLEET_OPTIONS: dict[str, dict[str, Any]] = {
    "api_keys_file": {"type": "path"},
    "undeclared": {"type": "str", "choices": ["leave", "disable", "delete"], "default": "leave"},
    "undeclared_prefix": {"type": "str"},
    "undeclared_limit": {"type": "int", "default": DEFAULT_LIMIT},
    "fleet_result": {"type": "str", "choices": ["changed", "all"], "default": "changed"},
    "fleet_diff": {"type": "str", "choices": ["lines", "full"], "default": "lines"},
}

ARGUMENT_SPEC = {
    **KEY_OPTIONS,
    "name": {"type": "str"},
    "state": {**KEY_OPTIONS["state"], "default": "present"},
    "secret_file": {"type": "path"},
    "api_keys": {
        "type": "list",
        "elements": "dict",
        "no_log": False,
        "options": ITEM_OPTIONS,
    },
    "secrets_file": {"type": "path"},
    **FLEET_OPTIONS,
}


def desired_keys(params: dict, items: list[dict] | None) -> list[DesiredKey]:
    """The keys wanted: the one of name or id, or the fleet's ``items`` (of api_keys or api_keys_file)."""
    if items is None:
        return [DesiredKey(params["name"], params["state"], params["kind"], params["metadata"], key_id=params["id"])]
    return [
        DesiredKey(
            item["name"],
            item["state"] or params["state"],
            item["kind"] or params["kind"],
            item["metadata"],
            declared_as=f"api_keys[{index}]",
            key_id=item["id"],
        )
        for index, item in enumerate(items)
    ]


def fleet_options(params: dict) -> FleetOptions:
    policy = UndeclaredPolicy(
        params["undeclared"], params["undeclared_prefix"], params["undeclared_limit"], login_key=params["api_key"]
    )
    every_entry, full_diff = params["fleet_result"] == "all", params["fleet_diff"] == "full"
    return FleetOptions(params["secrets_file"], policy, every_entry=every_entry, full_diff=full_diff)


def fleet_option_errors(params: dict, options: FleetOptions, fleet: bool) -> list[str]:
    """The fleet's own options: the undeclared keys' scope and limit, and none of them with a single key."""
    if not fleet:
        return [messages.fleet_only(name) for name in ("undeclared_prefix",) if params[name] is not None] + (
            [messages.fleet_only("undeclared")] if options.undeclared.active else []
        )
    has_key_pair = bool(params["api_key"] and params["api_secret"])
    return policy_errors(options.undeclared, has_key_pair=has_key_pair, api_version=params["api_version"])


def main() -> None:
    module = fiskaly_module(
        ARGUMENT_SPEC,
        AuthOptions(),
        ConnectionOptions(),
        required_one_of=[("name", "id", "api_keys", "api_keys_file")],
        mutually_exclusive=[
            ("name", "api_keys", "api_keys_file"),
            ("id", "api_keys", "api_keys_file"),
            ("metadata", "api_keys", "api_keys_file"),
            ("secret_file", "api_keys", "api_keys_file"),
            ("secrets_file", "name"),
            ("secrets_file", "id"),
        ],
    )
    params = module.params
    items: list[dict] | None = params["api_keys"]
    errors: list[str] = []
    if params["api_keys_file"] is not None:
        # The action plugin of the same name read it on the controller and wrote its items to this JSON file; kept out
        # of params, which the result echoes.
        items, errors = read_items(params["api_keys_file"])
    keys = desired_keys(params, items)
    options = fleet_options(params)
    errors += desired_key_errors(keys, params["api_version"]) if not errors else []
    errors += fleet_option_errors(params, options, fleet=items is not None)
    if errors:
        module.fail_json(msg=messages.error_list(errors))
    check_mode, diff = module.check_mode, module._diff

    def reconcile(client: FiskalyClient) -> dict:
        if items is None:
            return reconcile_one(client, keys[0], check_mode=check_mode, diff=diff, secret_file=params["secret_file"])
        return reconcile_fleet(client, keys, check_mode=check_mode, diff=diff, options=options)

    run(module, reconcile)


if __name__ == "__main__":
    main()
