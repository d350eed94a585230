# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How every module of this collection starts, talks to the API and ends (internal, not a public API).

``fiskaly_module`` builds the AnsibleModule from the option groups that a module asks for and checks what
needs no round trip; ``run`` gives the work a client and turns every failure into ``fail_json``, so that no
Python traceback reaches the user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from . import _messages as messages
from ._errors import FiskalyError
from ._http.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, FiskalyClient
from ._signals import Interrupted, stopping_signals_raise

USER_AGENT = f"ansible-collection-fiskaly.management ansible-core/{ANSIBLE_VERSION}"


class OptionGroup(Protocol):
    """Options that go together, with what Ansible's argument spec checks of them and what it cannot: the
    connection options and the credentials (``_connection_options``, ``_auth_options``)."""

    REQUIRED_TOGETHER: ClassVar[tuple[tuple[str, ...], ...]]
    MUTUALLY_EXCLUSIVE: ClassVar[tuple[tuple[str, ...], ...]]

    def argument_spec(self) -> dict[str, dict[str, Any]]:
        """The options of the group, a copy for the AnsibleModule to own."""

    def errors(self, params: dict[str, Any]) -> list[str]:
        """The rules on the values given that Ansible's argument spec cannot express."""

    def missing(self, params: dict[str, Any]) -> list[str]:
        """What the group needs and was not given."""

    def warnings(self, params: dict[str, Any]) -> list[str]:
        """What the module warns of once its input passed."""

    def hide_in_echo(self, params: dict[str, Any]) -> None:
        """Takes out of ``params`` what the failed result's echo of the options must not show and no_log cannot hide."""


def fiskaly_module(own: dict[str, Any] | OptionGroup, *groups: OptionGroup, **kwargs: Any) -> AnsibleModule:
    """An AnsibleModule with the options of ``groups`` and its own, whose input has passed every local check.

    ``own`` is the module's argument spec, or its own option group (fiskaly_token's refresh_token). The errors of
    every group in ``groups``, then what each misses, fail the module in one message. A module's own group is checked
    after that, as the module's own rule.
    """
    own_group = None if isinstance(own, dict) else own
    every_group = (*groups, own_group) if own_group is not None else groups
    argument_spec: dict[str, dict[str, Any]] = {}
    for group in groups:
        argument_spec.update(group.argument_spec())
    argument_spec.update(own if isinstance(own, dict) else own.argument_spec())
    required_together = [rule for group in every_group for rule in group.REQUIRED_TOGETHER]
    mutually_exclusive = [rule for group in every_group for rule in group.MUTUALLY_EXCLUSIVE]
    kwargs["required_together"] = required_together + kwargs.get("required_together", [])
    kwargs["mutually_exclusive"] = mutually_exclusive + kwargs.get("mutually_exclusive", [])
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), error=str(REQUESTS_IMPORT_ERROR))
    params = module.params
    errors = [error for group in groups for error in group.errors(params)]
    errors += [error for group in groups for error in group.missing(params)]
    if not errors and own_group is not None:
        errors = own_group.errors(params) + own_group.missing(params)
    if errors:
        for group in every_group:
            group.hide_in_echo(params)
        module.fail_json(msg=messages.error_list(errors))
    for group in every_group:
        for warning in group.warnings(params):
            module.warn(warning)
    return module


def client_for(module: AnsibleModule) -> FiskalyClient:
    """A client with the connection options and the credentials of ``module``."""
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
        api_version=params["api_version"],
        organization_id=params["organization_id"],
    )


def run(module: AnsibleModule, work: Callable[[FiskalyClient], dict[str, Any]]) -> None:
    """Call ``work(client)`` and exit with its result, or fail with a message and no traceback."""
    failure: dict[str, Any] = {}
    result: dict[str, Any] = {}
    try:
        with stopping_signals_raise(), client_for(module) as client:
            if not module.params["validate_certs"]:
                _silence_insecure_request_warning()
            result = work(client)
    except FiskalyError as error:
        failure = {"msg": str(error), **error.result}
    except Interrupted as error:
        failure = {"msg": messages.interrupted_before_done(error)}
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
