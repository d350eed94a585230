# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the fiskaly_api_key module, then masks the key secrets it returned where a variable keeps them.

The module cannot tell whether its result is kept: only the task, on the controller, knows whether it
has ``register``. See ``module_utils/secret_masking.py`` for the rule.
"""

from __future__ import annotations

from ansible.plugins.action.normal import ActionModule as NormalActionModule

from ansible_collections.fiskaly.management.plugins.module_utils.secret_masking import key_secrets, mask


class ActionModule(NormalActionModule):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._task.register:
            mask(key_secrets(result))
        return result
