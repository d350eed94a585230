# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How every module of this collection starts, talks to the API and ends (internal, not a public API).

``fiskaly_module`` builds the AnsibleModule with the shared options and checks what needs no
round trip; ``run`` gives the work a client and turns every failure into ``fail_json``, so that no
Python traceback reaches the user.
"""

from __future__ import annotations

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from . import _messages as say
from ._auth_options import AUTH_OPTIONS, REQUIRED_TOGETHER, credential_errors, missing_credential_errors
from ._connection_options import CONNECTION_OPTIONS, connection_errors, environment_errors, shown_base_url
from ._errors import FiskalyError
from ._http.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, FiskalyClient
from ._messages import error_list
from ._signals import Interrupted, stopping_signals_raise

USER_AGENT = f"ansible-collection-fiskaly.management ansible-core/{ANSIBLE_VERSION}"


def fiskaly_module(argument_spec: dict, *, token_option: str = "access_token", **kwargs) -> AnsibleModule:
    """An AnsibleModule with the shared options, whose input has passed every local check.

    ``token_option`` is the option that may stand in for the key pair: ``access_token``, or a module's own
    (fiskaly_token's ``refresh_token``, checked after the other rules, as the module's own rule).
    """
    shared = {name: dict(spec) for name, spec in {**AUTH_OPTIONS, **CONNECTION_OPTIONS}.items()}
    kwargs["required_together"] = REQUIRED_TOGETHER + kwargs.get("required_together", [])
    module = AnsibleModule(argument_spec={**shared, **argument_spec}, supports_check_mode=True, **kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), error=str(REQUESTS_IMPORT_ERROR))
    params = module.params
    errors = credential_errors(params) + connection_errors(params) + environment_errors(params)
    if token_option == "access_token":
        errors += missing_credential_errors(params)
    if errors:
        # At -vvv the result echoes every option: not the parts of base_url that no_log knows nothing of.
        params["base_url"] = shown_base_url(params["base_url"])
        module.fail_json(msg=error_list(errors))
    if token_option != "access_token":
        missing = missing_credential_errors(params, token_option)
        if missing:
            module.fail_json(msg=missing[0])
    if not params["validate_certs"]:
        module.warn(say.INSECURE_WARNING)
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
        max_concurrent_requests=params["max_concurrent_requests"],
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
        failure = {"msg": say.interrupted_before_done(error)}
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
