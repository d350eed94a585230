# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every module of this collection starts, talks to the API and ends (internal, not a public API).

``fiskaly_module`` builds the AnsibleModule with the shared options and checks what needs no
round trip; ``run`` gives the work a client and turns every failure into ``fail_json``, so that no
Python traceback reaches the user.
"""

from __future__ import annotations

import math
import os
from urllib.parse import urlsplit

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from .argument_spec import REQUIRED_TOGETHER, common_argument_spec
from .client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, FiskalyClient, ca_bundle_from_environment, proxy_from_environment, proxy_url_error
from .errors import FiskalyError, error_list
from .interrupt import Interrupted, stopping_signals_raise

USER_AGENT = f"ansible-collection-fiskaly.management ansible-core/{ANSIBLE_VERSION}"


# Options whose values go into headers or bodies verbatim; messages name them, never show them.
CREDENTIAL_OPTIONS = ("api_key", "api_secret", "access_token", "refresh_token")

# The ranges of the numeric options, as the connection doc fragment states them.
MAX_TIMEOUT = 3600
MAX_RETRIES = 100
MAX_RETRY_DEADLINE = 86400


def connection_errors(params: dict) -> list[str]:
    """Rules on the shared options that Ansible's argument spec cannot express."""
    errors = [
        f"{name} must not contain white space or control characters (a trailing line break from a file or vault, say)"
        for name in CREDENTIAL_OPTIONS
        if params.get(name) and any(character.isspace() or not character.isprintable() for character in params[name])
    ]
    if params.get("access_token") and not params["access_token"].isascii():
        # Never quoted: it is a credential.
        errors.append("access_token must be ASCII: it goes in an HTTP header, which takes no other characters (a token never has them)")
    if params["ca_path"] and params["validate_certs"] and not os.path.isfile(params["ca_path"]):
        errors.append(f"ca_path must be a readable PEM file of certificate authorities, but {params['ca_path']} is no file")
    errors += base_url_errors(params["base_url"])
    # "inf" and "nan" pass as floats, and nan passes every comparison: each rule says what it takes, finite first.
    if not (math.isfinite(params["timeout"]) and 0 < params["timeout"] <= MAX_TIMEOUT):
        errors.append(f"timeout must be a number of seconds greater than 0 and at most {MAX_TIMEOUT}, got {params['timeout']}")
    if not 0 <= params["retries"] <= MAX_RETRIES:
        errors.append(f"retries must be 0 to {MAX_RETRIES}, got {params['retries']}")
    if not (math.isfinite(params["retry_deadline"]) and 0 <= params["retry_deadline"] <= MAX_RETRY_DEADLINE):
        errors.append(f"retry_deadline must be a number of seconds from 0 to {MAX_RETRY_DEADLINE}, got {params['retry_deadline']}")
    return errors


def environment_errors(params: dict) -> list[str]:
    """Environment variables that requests reads and that would fail every request of the run."""
    errors = []
    source = ca_bundle_from_environment() if params["validate_certs"] and not params["ca_path"] else None
    if source and not os.path.exists(source[1]):
        name, path = source
        errors.append(f"the environment variable {name} names {path} as the file of certificate authorities to trust, but there is "
                      "no such file: requests reads it when ca_path is not set. Fix or unset it, or set ca_path")
    proxy = proxy_from_environment(params["base_url"].rstrip("/") + "/") if not base_url_errors(params["base_url"]) else None
    problem = proxy_url_error(proxy[2]) if proxy else None
    if problem:
        # Named, never shown: a proxy URL may carry a user and a password.
        errors.append(f"the proxy for base_url comes from {proxy[0]}, which requests cannot use: {problem}. Fix or unset it, "
                      "or exclude the API's host with NO_PROXY")
    return errors


def base_url_errors(base_url: str) -> list[str]:
    """The shapes of base_url that would reach the wrong place, or send a credential the user never meant to."""
    try:
        parts = urlsplit(base_url)
    except ValueError:  # an unbalanced "[" of an IPv6 address, say
        return ["base_url is not a valid URL"]
    if parts.username is not None or parts.password is not None:
        # Never quoted: the user information may hold a password.
        return ["base_url must not carry user information (user:password@host): the API takes api_key and api_secret, "
                "and a URL's credentials would be sent to it instead"]
    shown = shown_base_url(base_url)
    if any(character.isspace() or not character.isprintable() for character in base_url):
        return [f"base_url must not contain white space or control characters (a trailing line break, say), got {shown!r}"]
    try:
        parts.port  # pylint: disable=pointless-statement  # raises on a port that is no number or out of range
    except ValueError:
        return [f"base_url has no valid port (a number from 0 to 65535 after the host), got {shown!r}"]
    errors = []
    if parts.scheme.lower() != "https" or not parts.netloc:
        errors.append(f"base_url must be an https:// URL, got {shown!r}: the API is served over HTTPS only")
    if parts.query or parts.fragment or base_url.endswith(("?", "#")):
        errors.append(f"base_url must have no query string or fragment, got {shown!r}: the paths of the API are added to it")
    return errors


def shown_base_url(base_url: str) -> str:
    """base_url as a message or the invocation may show it: without user information, query string or fragment, where a
    user may have put a password or a token."""
    shown = base_url.split("?", 1)[0].split("#", 1)[0] + ("?..." if "?" in base_url or "#" in base_url else "")
    scheme, separator, rest = shown.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{separator}{'...@' if '@' in host else ''}{host.rpartition('@')[2]}{slash}{path}" if separator else shown


def fiskaly_module(argument_spec: dict, *, needs_credentials: bool = True, **kwargs) -> AnsibleModule:
    """An AnsibleModule with the shared options, whose input has passed every local check."""
    kwargs["required_together"] = REQUIRED_TOGETHER + kwargs.get("required_together", [])
    module = AnsibleModule(argument_spec={**common_argument_spec(), **argument_spec}, supports_check_mode=True, **kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), error=str(REQUESTS_IMPORT_ERROR))
    errors = connection_errors(module.params) + environment_errors(module.params)
    if needs_credentials and not module.params["access_token"] and not module.params["api_key"]:
        errors.append("one of access_token, or api_key with api_secret, is required "
                      "(as options, through module_defaults, or as FISKALY_* environment variables)")
    if errors:
        # At -vvv the result echoes every option: not the parts of base_url that no_log knows nothing of.
        module.params["base_url"] = shown_base_url(module.params["base_url"])
        module.fail_json(msg=error_list(errors))
    if not module.params["validate_certs"]:
        module.warn("validate_certs is false: the API's TLS certificate is not verified, so its identity is not either. "
                    "Use ca_path for a private CA instead.")
    return module


def client_for(module: AnsibleModule) -> FiskalyClient:
    params = module.params
    verify = params["ca_path"] if params["ca_path"] and params["validate_certs"] else params["validate_certs"]
    return FiskalyClient(
        params["base_url"],
        api_key=params["api_key"],
        api_secret=params["api_secret"],
        access_token=params["access_token"],
        verify=verify,
        timeout=params["timeout"],
        retries=params["retries"],
        retry_deadline=params["retry_deadline"],
        user_agent=USER_AGENT,
    )


def run(module: AnsibleModule, work) -> None:
    """Call ``work(client)`` and exit with its result, or fail with a message and no traceback."""
    failure: dict = {}
    result: dict = {}
    try:
        with stopping_signals_raise(), client_for(module) as client:
            if not module.params["validate_certs"]:
                _silence_insecure_request_warning()
            result = work(client)
    except FiskalyError as error:
        failure = {"msg": str(error), **error.result}
    except Interrupted as error:
        failure = {"msg": f"The module was {error} before it was done"}
    except Exception as error:  # pylint: disable=broad-exception-caught
        failure = {"msg": str(FiskalyError.unexpected(error))}
    # Passing warnings to exit_json or fail_json is deprecated from ansible-core 2.19 on (removed in 2.23).
    for warning in (failure or result).pop("warnings", []):
        module.warn(warning)
    if failure:
        # Failed outside the except block: ansible-core 2.16 attaches the pending exception's traceback at -vvv.
        module.fail_json(**failure)
    module.exit_json(**result)


def _silence_insecure_request_warning() -> None:
    """The module already warned once; urllib3 would add a line to stderr per request."""
    import urllib3  # pylint: disable=import-outside-toplevel

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
