# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Where and how the modules reach the API: documents ConnectionOptions (module_utils/_connection_options.py).

    tests/unit/plugins/module_utils/test_option_groups.py holds the two together.
    """

    DOCUMENTATION = r"""
requirements:
  - requests (the Python library, on the host that runs the module)
options:
  base_url:
    description:
      - The base URL of the fiskaly Management API, including the version path.
      - If not set, the environment variable E(FISKALY_BASE_URL) is used.
      - Must be an C(https://) URL; the module refuses any other before it sends a request.
      - Point it at the bundled emulator to test playbooks without an account (see the user guide).
    type: str
    default: https://dashboard.fiskaly.com/api/v0
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate.
      - Setting it to V(false) makes the module warn; prefer O(ca_path) for a private CA.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of the certificate authorities to trust for the API, instead of the system's.
      - Takes precedence over the E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) environment variables, which requests
        reads otherwise. When neither O(ca_path) nor O(validate_certs=false) is set and one of those variables names a
        file that does not exist, the module fails before any request, naming the variable.
      - If not set, the environment variable E(FISKALY_CA_PATH) is used.
      - A O(ca_path) that names no file fails the module before any request, also with O(validate_certs=false), which
        does not use it; the message names both, as one of the two is a mistake.
    type: path
  timeout:
    description:
      - The most seconds that one attempt of a request may take as a whole, from connecting to the last byte of the
        answer. An answer that trickles in, however steadily, ends the attempt once it takes longer, as a read
        timeout; the attempt is then repeated like any other (see O(retries)).
      - A number greater than V(0) and at most V(3600).
      - The whole-attempt bound is a real-time timer in the module's main thread on a POSIX system, and elsewhere (in
        the threads that send concurrent requests, see O(max_concurrent_requests)) a watchdog that closes the
        attempt's connection once it is over time.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is repeated after a transient failure before the module gives up.
      - Transient failures are HTTP 429 (honouring its C(Retry-After), capped at 30 seconds), 500, 502, 503 and 504,
        connection errors and read timeouts, the attempts that O(timeout) ended included. Waits grow exponentially, with
        jitter. A C(Retry-After) that is neither a whole number of seconds nor an HTTP date (C(soon), C(1.5), C(-1), an
        empty value) counts as none, and the exponential wait applies.
      - V(0) sends every request once; at most V(100).
    type: int
    default: 5
  retry_deadline:
    description:
      - The most seconds that one request may spend on its attempts and the waits between them; no attempt
        starts after it, though one that started before may take up to O(timeout) more. So one request takes at most
        O(retry_deadline) plus O(timeout).
      - A number from V(0) (no repeat after the first attempt) to V(86400).
    type: float
    default: 60
  max_concurrent_requests:
    description:
      - How many requests the module may have in flight at once, where it has many to send. Those are the pages of a
        listing after the first, which tells how many follow; the reads of the keys that a listing did not cover; and
        the writes of a fleet (O(fiskaly.management.fiskaly_api_key#module:api_keys)). Other requests go one at a time.
      - A listing reads at most this many pages beyond the last one it took, whatever C(count) its answers announce.
      - V(1) sends every request after the one before. At most V(100).
      - The writes of one key stay in order. After the first failed write no further write starts; those under way
        finish, and the result has an entry for every key.
      - Each HTTP 429 (rate limited) halves the number in flight and holds every request back for as long as its
        C(Retry-After) says; each run of answers that are no 429 then raises it by one, up to this value. A 429 that
        came while more than one request was in flight costs the request none of its O(retries).
      - How to choose it. N requests in flight over a round trip of R seconds send about N/R requests a second. Across
        the internet (R of 0.05 to 0.2) the default sends 50 to 200 a second, which is as much as one run gains from.
        Raise it for a long round trip; lower it where several runs share one account's rate limit at the same time,
        so that they spend less of it on 429s.
    type: int
    default: 10
  api_version:
    description:
      - The version of the Management API that O(base_url) speaks. See the collection's C(docs/api-versions.md) for
        what differs between the two.
      - V(0.12) is "fiskaly management API 0.12", what fiskaly publishes today at the default O(base_url). Its keys
        live under an organisation (O(organization_id)), addressed by a server-assigned C(_id), created with C(POST).
      - V(0.1.0-draft) is the reference page "fiskaly Management API (v0.1.0-draft)". Its keys are addressed by their
        name and created with C(PUT).
      - V(auto) decides from what the API said, never by a write. With a key pair, the login answer decides, as 0.12's
        names the organisation of the token (C(access_token_claims)), the draft's does not. With only an
        O(access_token) (no login), O(organization_id) given means 0.12, and the draft otherwise.
      - If not set, the environment variable E(FISKALY_API_VERSION) is used.
    type: str
    choices: [auto, 0.1.0-draft, '0.12']
    default: auto
  organization_id:
    description:
      - API 0.12 only. The organisation (a UUID) whose keys the module manages.
      - By default the organisation of the login, as its answer names it (C(access_token_claims.organization_id)).
        That a caller's own organisation addresses its own keys this way is an inference, since every public client of
        0.12 shows keys created under a managed organisation, none under the caller's own.
      - Another one manages the keys of an organisation that the caller manages (a POS vendor's merchants).
      - Required with O(access_token) alone and O(api_version=0.12), where no login answer names it.
      - If not set, the environment variable E(FISKALY_ORGANIZATION_ID) is used.
    type: str
notes:
  - The modules send the token as a C(Bearer) token in the C(Authorization) header of every call but the login, and
    never a credential from C(~/.netrc) (or E(NETRC)), which requests would otherwise send to the API as HTTP Basic
    instead of the token.
  - Proxies come from the environment, as requests reads them (E(HTTPS_PROXY), E(ALL_PROXY), their lower-case forms,
    E(NO_PROXY)). A failure to reach the API through a proxy is reported as a C(proxy failure) that names the variable
    and the proxy's host, never its user or password; a proxy URL that requests cannot use fails the module before any
    request.
"""
