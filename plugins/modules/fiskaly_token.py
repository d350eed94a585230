#!/usr/bin/python
# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: fiskaly_token
short_description: Retrieve an access token of the fiskaly Management API
version_added: 1.0.0
description:
  - Logs in to the fiskaly Management API with an API key and its secret, or with a refresh token, and returns
    an access token and a refresh token.
  - Pass the access token to later tasks through O(fiskaly.management.fiskaly_api_key#module:access_token) (for example
    in C(module_defaults)) so that a play logs in once.
  - Getting a token changes nothing that you manage, so the module never reports a change, and it runs for real in
    check mode, so that the later tasks of a dry run can use the token.
author:
  - fiskaly.management maintainers (@fiskaly)
options:
  refresh_token:
    description:
      - A refresh token from an earlier run of this module. When given, the module uses it instead of
        O(api_key) and O(api_secret).
      - Never shown in any output.
    type: str
  access_token:
    description:
      - Not used by this module, which always logs in. Accepted so that C(module_defaults) of the group
        C(fiskaly.management.fiskaly) may set it for every task of a play, this one included.
      - If not set, the environment variable E(FISKALY_ACCESS_TOKEN) is read, and ignored.
      - Never shown in any output.
    type: str
extends_documentation_fragment:
  - fiskaly.management.key_pair
  - fiskaly.management.connection
  - fiskaly.management.attributes
attributes:
  check_mode:
    support: full
    details: Runs for real in check mode; it changes nothing.
  diff_mode:
    support: none
notes:
  - The returned tokens are credentials. Register the result with C(no_log) set to V(true) and pass the token on; do not
    print it.
  - On ansible-core 2.22 and later, the tokens are also masked as C($REDACTED$) in every display and callback, while a
    registered variable keeps them, with or without C(register), so an ad hoc C(ansible -m
    fiskaly.management.fiskaly_token) call shows C($REDACTED$) for each token. A new login replaces a token that masking
    hid.
seealso:
  - module: fiskaly.management.fiskaly_api_key
  - module: fiskaly.management.fiskaly_api_key_info
"""

EXAMPLES = r"""
- name: Log in once
  fiskaly.management.fiskaly_token:
    api_key: "{{ fiskaly_api_key }}"
    api_secret: "{{ fiskaly_api_secret }}"
  register: fiskaly_login
  no_log: true

- name: Use the token for every fiskaly task of the play, with the API version and organisation the login found
  module_defaults:
    group/fiskaly.management.fiskaly:
      access_token: "{{ fiskaly_login.access_token }}"
      api_version: "{{ fiskaly_login.api_version }}"
      organization_id: "{{ fiskaly_login.organization_id | default(omit, true) }}"
  block:
    - name: List the enabled API keys
      fiskaly.management.fiskaly_api_key_info:
        status: [enabled]

- name: Get a new access token with the refresh token
  fiskaly.management.fiskaly_token:
    refresh_token: "{{ fiskaly_login.refresh_token }}"
  register: fiskaly_login
  no_log: true
"""

RETURN = r"""
access_token:
  description: The access token (a JWT), to pass as O(fiskaly.management.fiskaly_api_key#module:access_token).
  returned: success
  type: str
access_token_expires_in:
  description: Seconds from now until the access token expires.
  returned: success
  type: int
  sample: 300
access_token_expires_at:
  description: When the access token expires, in Unix seconds.
  returned: success
  type: int
  sample: 1577833200
refresh_token:
  description: The refresh token, to pass as O(refresh_token) for a new access token.
  returned: success
  type: str
refresh_token_expires_in:
  description: Seconds from now until the refresh token expires.
  returned: success
  type: int
  sample: 86400
refresh_token_expires_at:
  description: When the refresh token expires, in Unix seconds.
  returned: success
  type: int
  sample: 1577919600
api_version:
  description:
    - The version of the Management API the token is for, as O(api_version) decided it (V(auto) from the login answer,
      see O(api_version)). Pass it on to later tasks with O(organization_id), so that a task given only the token needs
      no login answer to decide.
  returned: success
  type: str
  sample: '0.12'
organization_id:
  description:
    - API 0.12. The organisation whose keys later tasks manage, O(organization_id) or the one the login answer names.
    - V(null) on API v0.1.0-draft.
  returned: success
  type: str
  sample: 0b1ee2b5-6a1f-4d3b-9e54-3c1f0c2a7d11
environment:
  description:
    - API 0.12. The environment of the token, as the login answer names it (V(TEST) or V(LIVE)).
    - V(null) on API v0.1.0-draft, and where the answer names none.
  returned: success
  type: str
  sample: TEST
failure:
  description: The API's error, when the login failed.
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

from ansible_collections.fiskaly.management.plugins.module_utils._auth_options import (
    CredentialOptions,
    RefreshTokenOptions,
)
from ansible_collections.fiskaly.management.plugins.module_utils._connection_options import ConnectionOptions
from ansible_collections.fiskaly.management.plugins.module_utils._http.client import FiskalyClient
from ansible_collections.fiskaly.management.plugins.module_utils._http.routes import ManagementApi
from ansible_collections.fiskaly.management.plugins.module_utils._module import fiskaly_module, run
from ansible_collections.fiskaly.management.plugins.module_utils._secret_masking import mask


def main() -> None:
    module = fiskaly_module(RefreshTokenOptions(), CredentialOptions(), ConnectionOptions())
    refresh_token = module.params["refresh_token"]

    def get_token(client: FiskalyClient) -> dict:
        token = client.refresh(refresh_token) if refresh_token else client.authenticate()
        mask([token[name] for name in ManagementApi.SECRET_TOKEN_FIELDS if isinstance(token.get(name), str)])
        # What later tasks pass on (module_defaults), so that they need no login answer to decide.
        api = client.decided_by(client.claims)
        found = {"api_version": api.VERSION, "organization_id": api.organization_id, "environment": client.environment}
        return {"changed": False, **{name: token.get(name) for name in ManagementApi.TOKEN_FIELDS}, **found}

    run(module, get_token)


if __name__ == "__main__":
    main()
