# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller's part of fiskaly.management.fiskaly_api_key: read api_keys_file where the playbook is.

A declaration of thousands of keys given as ``api_keys: "{{ fleet }}"`` is templated by ansible-core item by item,
which costs more than the run itself. Read here, once, as a vars file is (vault included), whatever ``delegate_to``
says, it reaches the module as ``api_keys`` without a template in between. Everything else is the module's.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

FILE_OPTION = "api_keys_file"
ITEMS_OPTION = "api_keys"


class ActionModule(ActionBase):
    """Reads ``api_keys_file`` on the controller, then runs the module with its items as ``api_keys``."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: Any = None, task_vars: dict | None = None) -> dict:
        result = super().run(tmp, task_vars)
        del tmp  # not used since ansible-core 2.5
        module_args = dict(self._task.args)
        path = module_args.pop(FILE_OPTION, None)
        if path is not None:
            items, problem = self._declaration(path, module_args)
            if problem is not None:
                result.update(failed=True, msg=problem)
                return result
            module_args[ITEMS_OPTION] = items
        # As ansible-core's own action for modules does (has_native_async is gone from the newer ones).
        wrap_async = bool(self._task.async_val) and not getattr(self._connection, "has_native_async", False)
        result.update(
            self._execute_module(
                module_name="fiskaly.management.fiskaly_api_key",
                module_args=module_args,
                task_vars=task_vars,
                wrap_async=wrap_async,
            )
        )
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)  # pylint: disable=protected-access
        return result

    def _declaration(self, path: object, module_args: dict) -> tuple[Any, str | None]:
        """The items of the file, or why there are none; the module checks each item, naming it."""
        if not isinstance(path, str) or not path:
            return None, f"{FILE_OPTION} must be the path of a file on the controller, got {path!r}"
        if ITEMS_OPTION in module_args:
            return None, f"parameters are mutually exclusive: {FILE_OPTION}|{ITEMS_OPTION}"
        try:
            found = self._find_needle("vars", path)
        except AnsibleError:
            try:
                found = self._find_needle("files", path)
            except AnsibleError as error:
                return None, f"{FILE_OPTION} {path} was not found on the controller: {to_text(error.message)}"
        try:
            content = self._loader.load_from_file(found)
        except AnsibleError as error:
            return None, f"{FILE_OPTION} {found} is not YAML or JSON: {to_text(error.message)}"
        if isinstance(content, dict) and set(content) == {ITEMS_OPTION}:
            content = content[ITEMS_OPTION]
        if not isinstance(content, list):
            shape = type(content).__name__
            return None, (
                f"{FILE_OPTION} {found} must hold a list of keys, or a mapping whose only key is {ITEMS_OPTION} and "
                f"holds that list; it holds a {shape}"
            )
        return content, None
