# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the fiskaly_api_key module, then masks the key secrets it returned where a variable keeps them.

Before the module, it reads ``api_keys_file`` on the controller (``plugin_utils/_declaration_file.py``) and hands its
items over as a JSON file in the module's temporary directory, whose path the module receives as ``api_keys_file``
(the result's echo names the user's file again), and it refuses an item that is not a mapping, naming the item:
ansible-core's own check of ``api_keys`` says "dictionary requested" without saying which item.

The module cannot tell whether its result is kept: only the task, on the controller, knows. See
``module_utils/_api_keys/masking.py`` for the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible.module_utils.common.validation import check_type_dict, check_type_list
from ansible.playbook.block import Block
from ansible.plugins.action.normal import ActionModule as NormalActionModule

from ansible_collections.fiskaly.management.plugins.module_utils import _messages as messages
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.declared_items import HANDED_OVER_NAME
from ansible_collections.fiskaly.management.plugins.module_utils._secret_masking import (
    HAS_SECRET_MASKING,
    key_secrets,
    mask,
)
from ansible_collections.fiskaly.management.plugins.plugin_utils._declaration_file import (
    FILE_OPTION,
    ITEMS_OPTION,
    declared_items,
    module_json,
)

# What a plain ``register: name`` stands for on ansible-core 2.22 (it stores ``register`` as projections): the whole
# result.
WHOLE_RESULT = "_task.polymorphic_result"


class ActionModule(NormalActionModule):
    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        args = self._task.args
        given_file = args.get(FILE_OPTION)
        handed_over = None
        if given_file is None:
            problem = api_keys_problem(args.get(ITEMS_OPTION))
        else:
            items, problem = declared_items(given_file, args, self._find_needle, self._loader.load_from_file)
            problem = problem or api_keys_problem(items)
            if not problem:
                handed_over, problem = module_json(given_file, items or [])
        if problem:
            return {"failed": True, "changed": False, "msg": problem}
        if handed_over is not None:
            # What the module receives: the JSON file for the user's. The task gets the user's back after the run, for
            # a next attempt (until, retries) runs this again with the same task.
            self._task.args = {**args, FILE_OPTION: self._handed_over(handed_over)}
        try:
            result = super().run(tmp, task_vars)
        finally:
            self._task.args = args
        if given_file is not None:
            echo_given_file(result, given_file)
        if HAS_SECRET_MASKING and self._variable_keeps(result):
            mask(key_secrets(result))
        return result

    def _handed_over(self, content: str) -> str:
        """The path, on the host that runs the module, of a file with this content in the task's temporary directory
        (which the normal action removes after the module ran), readable by the user the module runs as."""
        shell = self._connection._shell  # pylint: disable=protected-access
        tmpdir = shell.tmpdir or self._make_tmp_path()
        path = shell.join_path(tmpdir, HANDED_OVER_NAME)
        self._transfer_data(path, content)
        self._fixup_perms2((tmpdir, path))  # as ansible-core does for its own files there (execute adds search on dirs)
        return path

    def _variable_keeps(self, result: dict) -> bool:
        """Whether the registered variable is sure to hold this result once the play goes on, so masking loses nothing.

        Where the task's failure could end the play, the variable dies with it and the output is the only copy of a
        secret. As ansible-core 2.22 runs a task, the failure cannot end the play where ``ignore_errors`` is true (a
        loop's failure is ignored if any item's ``ignore_errors`` was) or where a block's ``rescue`` catches it, and the
        task cannot fail where a ``failed_when`` condition is literally false (a loop with ``failed_when`` fails only by
        an item whose condition held), unless evaluating a ``changed_when`` condition fails (a literal true or false
        cannot). Otherwise the task fails if this result failed, or, in a loop, if a later item fails. With ``until`` or
        ``retries`` a later attempt replaces this result in the variable, and projections of ``register`` may keep only
        part of it: never masked there. Neither ``ignore_errors`` nor ``rescue`` keeps a host that a later item finds
        unreachable in the play: a loop is masked only where that cannot end it (``ignore_unreachable``, or the local
        connection).
        """
        task = self._task
        if not whole_result_registered(task.register) or task.until or task.retries:
            return False
        if (task.loop or task.loop_with) and not (task.ignore_unreachable is True or self._connection_is_local()):
            return False
        if task.ignore_errors is True or rescued(task):
            return True
        if not all(literal_bool(condition) for condition in task.changed_when or []):
            return False
        if task.failed_when:
            return any(literally_false(condition) for condition in task.failed_when)  # its conditions are and-ed
        return not result.get("failed") and not (task.loop or task.loop_with)

    def _connection_is_local(self) -> bool:
        """Whether the task runs over the local connection, which never finds its host unreachable."""
        return getattr(self._connection, "transport", None) == "local"


def echo_given_file(result: dict, given_file: object) -> None:
    """The result's echo of the arguments says the file the user gave, not the JSON file the module read."""
    echo = (result.get("invocation") or {}).get("module_args")
    if isinstance(echo, dict) and FILE_OPTION in echo:
        echo[FILE_OPTION] = given_file


def literally_false(condition: object) -> bool:
    return condition is False or (isinstance(condition, str) and condition.strip() in ("false", "False"))


def literal_bool(condition: object) -> bool:
    """Whether a condition is a literal true or false, which evaluating cannot fail."""
    return isinstance(condition, bool) or (
        isinstance(condition, str) and condition.strip() in ("false", "False", "true", "True")
    )


def api_keys_problem(api_keys: object) -> str | None:
    """Why ``api_keys`` would fail ansible-core's check of its items, naming the item; None where it would not.

    An item may be a mapping, or a string that ansible-core reads as one (JSON or key=value), as before; a string for
    the whole list is split at its commas, as ansible-core does."""
    if isinstance(api_keys, str):
        api_keys = check_type_list(api_keys)
    if not isinstance(api_keys, list):
        return None  # unset, or a type that ansible-core's own message names
    for index, item in enumerate(api_keys):
        if isinstance(item, Mapping):
            continue
        if isinstance(item, str):
            try:
                check_type_dict(item)
                continue
            except TypeError:
                pass
        return messages.item_not_a_mapping(f"api_keys[{index}]", item)
    return None


def whole_result_registered(register: object) -> bool:
    """Whether ``register`` keeps the task's whole result: a name, or on 2.22 its translation into a projection."""
    if isinstance(register, str):
        return bool(register)
    return (
        isinstance(register, Mapping)
        and bool(register)
        and all(str(expression) == WHOLE_RESULT for expression in register.values())
    )


def rescued(task: Any) -> bool:
    """Whether a block's ``rescue`` catches this task's failure: the task sits in the ``block`` part of a block that
    has a ``rescue``, at any depth (through nested blocks, includes and imports), not in its ``rescue`` or ``always``
    part.

    Ancestors are found through the parent links that ansible-core keeps on each task; copies of tasks and blocks keep
    the identity (``_uuid``) of what they copy, so membership is checked by it."""
    try:
        lineage = set()
        node = task
        while node is not None:
            lineage.add(node._uuid)  # pylint: disable=protected-access
            node = node._parent  # pylint: disable=protected-access
        node = task._parent  # pylint: disable=protected-access
        while node is not None:
            if isinstance(node, Block) and node.rescue and holds(node.block, lineage):
                return True
            node = node._parent  # pylint: disable=protected-access
    except AttributeError:  # an ansible-core that links tasks otherwise: the failure may end the play
        return False
    return False


def holds(items: Iterable[Any] | None, lineage: set) -> bool:
    """Whether these tasks and blocks, or the blocks within them, contain one of the ``lineage``."""
    for item in items or []:
        if getattr(item, "_uuid", None) in lineage:
            return True
        if isinstance(item, Block) and any(holds(part, lineage) for part in (item.block, item.rescue, item.always)):
            return True
    return False
