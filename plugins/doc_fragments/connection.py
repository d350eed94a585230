# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Where and how the modules reach the API; mirrors CONNECTION_OPTIONS in module_utils/argument_spec.py."""

    DOCUMENTATION = r"""
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
      - Takes precedence over the E(REQUESTS_CA_BUNDLE) and E(SSL_CERT_FILE) environment variables.
      - If not set, the environment variable E(FISKALY_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for the API to accept a connection, and again for it to answer, on each attempt of a request.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is repeated after a transient failure before the module gives up.
      - Transient failures are HTTP 429 (honouring its C(Retry-After), capped at 30 seconds), 500, 502, 503 and 504,
        connection errors and read timeouts. Waits grow exponentially, with jitter.
      - V(0) sends every request once.
    type: int
    default: 5
  retry_deadline:
    description:
      - The most seconds that one request may spend on its attempts and the waits between them; no attempt
        starts after it, though one that started before may take up to O(timeout) more.
    type: float
    default: 60
"""
