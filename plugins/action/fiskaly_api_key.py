# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the fiskaly_api_key module, then masks the key secrets it returned where a variable keeps them.

The module cannot tell whether its result is kept: only the task, on the controller, knows. See
``module_utils/_secret_masking.py`` for the rule.
"""

from __future__ import annotations

from ansible.plugins.action.normal import ActionModule as NormalActionModule

from ansible_collections.fiskaly.management.plugins.module_utils._secret_masking import key_secrets, mask


class ActionModule(NormalActionModule):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._result_is_kept(result):
            mask(key_secrets(result))
        return result

    def _result_is_kept(self, result: dict) -> bool:
        """Whether the registered variable will hold this result once the task is done, so that masking loses nothing.

        Not when the module failed, nor when failed_when, until or a loop may still fail the task after this result:
        a failed task ends the play without a rescue, and the variable with it. Their output is then the only copy.
        """
        task = self._task
        return bool(task.register) and not result.get("failed") and not (task.failed_when or task.until or task.loop or task.loop_with)
