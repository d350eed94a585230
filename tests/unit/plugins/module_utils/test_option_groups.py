# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The option groups, the doc fragments, the modules' documentation and the role hold the same options.

The groups of ``_connection_options`` and ``_auth_options`` are the truth: each doc fragment documents its group
(names, type, elements, default, choices, required, aliases, the environment variable and no_log where the text
states them); each module documents its final argument spec; the role's ``meta/argument_specs.yml`` repeats a subset
of the groups' options under its own prefix (same type, elements, choices and no_log; no default of its own, or the
group's), and the role's README lists the items of ``fiskaly_api_key``'s ``api_keys`` as that module takes them.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.fiskaly.management.plugins.module_utils import _module
from ansible_collections.fiskaly.management.plugins.module_utils._auth_options import CredentialOptions
from ansible_collections.fiskaly.management.plugins.module_utils._connection_options import ConnectionOptions
from ansible_collections.fiskaly.management.plugins.modules import fiskaly_api_key

COLLECTION = Path(__file__).resolve().parents[4]
PLUGINS = "ansible_collections.fiskaly.management.plugins"
ROLE = COLLECTION / "roles" / "api_keys"
MODULES = ("fiskaly_api_key", "fiskaly_api_key_info", "fiskaly_token")

# Each doc fragment and the options it documents; one without options documents none.
FRAGMENT_GROUPS: dict[str, dict[str, dict[str, Any]]] = {
    "connection": ConnectionOptions.ARGUMENT_SPEC,
    "key_pair": CredentialOptions.KEY_PAIR_SPEC,
    "access_token": CredentialOptions.ACCESS_TOKEN_SPEC,
    "attributes": {},
}
# The role's variables that are not a group's option under the prefix ``api_keys_``.
ROLE_OWN_OPTIONS = {"api_keys_list", "api_keys_secrets_dir", "api_keys_secrets_file"}
ROLE_PREFIX = "api_keys_"
NEVER_SHOWN = "Never shown in any output."
ENVIRONMENT = re.compile(r"If not set, the environment variable E\((\w+)\) is used\.")


def fragment_options(name: str) -> dict[str, dict[str, Any]]:
    fragment = importlib.import_module(f"{PLUGINS}.doc_fragments.{name}").ModuleDocFragment
    return yaml.safe_load(fragment.DOCUMENTATION).get("options") or {}


def module_documented_options(name: str) -> dict[str, dict[str, Any]]:
    """The module's options with those of its doc fragments, as ansible-doc merges them (the module's keys win)."""
    documentation = yaml.safe_load(importlib.import_module(f"{PLUGINS}.modules.{name}").DOCUMENTATION)
    options: dict[str, dict[str, Any]] = {}
    for fragment in documentation.get("extends_documentation_fragment", []):
        options.update(fragment_options(fragment.rpartition(".")[2]))
    for option, doc in (documentation.get("options") or {}).items():
        options[option] = {**options.get(option, {}), **doc}
    return options


class _Built(Exception):
    """Stops a module's main() where it builds its AnsibleModule."""

    def __init__(self, argument_spec: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.argument_spec = argument_spec


def final_argument_spec(name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """The argument spec that the module's main() gives AnsibleModule: its own options and its groups'."""

    def build(argument_spec: dict[str, dict[str, Any]], **_: Any) -> None:
        raise _Built(argument_spec)

    monkeypatch.setattr(_module, "AnsibleModule", build)
    with pytest.raises(_Built) as built:
        importlib.import_module(f"{PLUGINS}.modules.{name}").main()
    return built.value.argument_spec


def text(doc: dict[str, Any]) -> str:
    description = doc.get("description", [])
    return " ".join(description if isinstance(description, list) else [description])


def mismatches(where: str, doc: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """What ``doc`` (an option's documentation) says otherwise than ``spec`` (its argument spec), and, in its
    suboptions, what each says otherwise than the spec's options."""
    found = [
        f"{where}: {field} is {documented!r} in the documentation, {specified!r} in the argument spec"
        for field, documented, specified in (
            ("type", doc.get("type", "str"), spec.get("type", "str")),
            ("elements", doc.get("elements"), spec.get("elements")),
            ("default", doc.get("default"), spec.get("default")),
            ("choices", doc.get("choices"), spec.get("choices")),
            ("required", bool(doc.get("required")), bool(spec.get("required"))),
            ("aliases", sorted(doc.get("aliases", [])), sorted(spec.get("aliases", []))),
        )
        if documented != specified
    ]
    if NEVER_SHOWN in text(doc) and not spec.get("no_log"):
        found.append(f"{where}: documented as never shown, but not no_log")
    if spec.get("no_log") and NEVER_SHOWN not in text(doc):
        found.append(f"{where}: no_log, but not documented as {NEVER_SHOWN!r}")
    found += names_differ(f"{where} suboptions", doc.get("suboptions") or {}, spec.get("options") or {})
    for option in sorted(set(doc.get("suboptions") or {}) & set(spec.get("options") or {})):
        found += mismatches(f"{where}.{option}", doc["suboptions"][option], spec["options"][option])
    return found


def names_differ(where: str, documented: dict[str, Any], specified: dict[str, Any]) -> list[str]:
    only_documented, only_specified = sorted(set(documented) - set(specified)), sorted(set(specified) - set(documented))
    if only_documented or only_specified:
        return [f"{where}: documented only {only_documented}, in the argument spec only {only_specified}"]
    return []


def test_every_doc_fragment_has_its_group() -> None:
    fragments = sorted(path.stem for path in (COLLECTION / "plugins" / "doc_fragments").glob("*.py"))
    assert fragments == sorted(FRAGMENT_GROUPS)


def test_the_fragments_document_every_option_of_the_shared_groups_once() -> None:
    documented = [option for name in FRAGMENT_GROUPS for option in fragment_options(name)]
    assert sorted(documented) == sorted({**CredentialOptions.ARGUMENT_SPEC, **ConnectionOptions.ARGUMENT_SPEC})


@pytest.mark.parametrize("name", sorted(FRAGMENT_GROUPS))
def test_each_doc_fragment_documents_its_group(name: str) -> None:
    options, group = fragment_options(name), FRAGMENT_GROUPS[name]
    errors = names_differ(f"fragment {name}", options, group)
    for option in sorted(set(options) & set(group)):
        doc, spec = options[option], group[option]
        errors += mismatches(f"fragment {name}, {option}", doc, spec)
        if spec.get("no_log") and NEVER_SHOWN not in text(doc):
            errors.append(f"fragment {name}, {option}: no_log, but not documented as never shown")
        documented, read = ENVIRONMENT.findall(text(doc)), spec.get("fallback", (None, []))[1]
        if documented != read:
            errors.append(f"fragment {name}, {option}: environment {documented} documented, {read} read")
    assert errors == []


@pytest.mark.parametrize("name", MODULES)
def test_each_module_documents_its_final_argument_spec(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    options, spec = module_documented_options(name), final_argument_spec(name, monkeypatch)
    errors = names_differ(f"module {name}", options, spec)
    for option in sorted(set(options) & set(spec)):
        errors += mismatches(f"module {name}, {option}", options[option], spec[option])
    assert errors == []


def role_options() -> dict[str, dict[str, Any]]:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return specs["argument_specs"]["main"]["options"]


def test_the_role_repeats_options_of_the_groups_as_they_are() -> None:
    # The shared groups, and the fleet's own options of fiskaly_api_key (undeclared, fleet_result, api_keys_file...).
    groups = {**CredentialOptions.ARGUMENT_SPEC, **ConnectionOptions.ARGUMENT_SPEC, **fiskaly_api_key.FLEET_OPTIONS}
    tasks = (ROLE / "tasks" / "main.yml").read_text(encoding="utf-8")
    errors = []
    for variable, doc in role_options().items():
        if variable in ROLE_OWN_OPTIONS:
            continue
        # api_keys_file keeps the module's name: the role's prefix is already its own.
        named_as_is = variable in groups and variable.startswith(ROLE_PREFIX)
        option = variable[len(ROLE_PREFIX) :] if variable.startswith(ROLE_PREFIX) and not named_as_is else variable
        if option not in groups:
            errors.append(f"role {variable}: neither the role's own nor {ROLE_PREFIX} and an option of a group")
            continue
        spec = groups[option]
        # Unset, an option comes from module_defaults, the environment or the module's default: the role has none.
        errors += mismatches(f"role {variable}", {**doc, "default": doc.get("default", spec.get("default"))}, spec)
        if bool(doc.get("no_log")) != bool(spec.get("no_log")):
            errors.append(f"role {variable}: no_log is {doc.get('no_log')!r}, the group's {spec.get('no_log')!r}")
        # Through module_defaults; or, for an option that excludes one of the task's own (api_keys_file), as a task
        # argument.
        passed = (f"'{option}': {variable} | default(none)", f'{option}: "{{{{ {variable} | default(omit) }}}}"')
        if not any(form in tasks for form in passed):
            errors.append(f"role {variable}: tasks/main.yml does not pass it to the module as {option}")
    assert errors == []


def test_the_role_takes_its_list_as_the_module_takes_api_keys() -> None:
    doc, spec = role_options()["api_keys_list"], fiskaly_api_key.ARGUMENT_SPEC["api_keys"]
    assert (doc["type"], doc["elements"]) == (spec["type"], spec["elements"])


def readme_table(after: str) -> list[list[str]]:
    """The rows of the first table after the line ``after`` in the role's README, as their cells."""
    lines = (ROLE / "README.md").read_text(encoding="utf-8").split("\n")
    start = lines.index(after) + 1
    while not lines[start].startswith("|"):
        start += 1
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_readme_lists_the_items_of_api_keys_as_the_module_takes_them() -> None:
    items, module_spec = fiskaly_api_key.ARGUMENT_SPEC["api_keys"]["options"], fiskaly_api_key.ARGUMENT_SPEC
    rows = {row[0].strip("`"): row for row in readme_table("Items of `api_keys_list`:")}
    errors = names_differ("README items", rows, items)
    for key in sorted(set(rows) & set(items)):
        required, choices = rows[key][1:3]
        spec = items[key]
        if (required == "yes") != bool(spec.get("required")):
            errors.append(f"README item {key}: required {required!r}, the module's {bool(spec.get('required'))}")
        listed = re.findall(r"`([^`]+)`", choices)
        if listed != (spec.get("choices") or []):
            errors.append(f"README item {key}: choices {listed}, the module's {spec.get('choices')}")
        # An item without its own default takes the module's option of the same name.
        marked = re.findall(r"`([^`]+)` \(default\)", choices)
        default = spec.get("default", module_spec.get(key, {}).get("default"))
        if marked != ([default] if default is not None else []):
            errors.append(f"README item {key}: default {marked}, the module's {default!r}")
    assert errors == []


def test_the_readme_lists_the_variables_of_the_role() -> None:
    rows = {row[0].strip("`"): row for row in readme_table("## Variables")}
    options = role_options()
    errors = names_differ("README variables", rows, options)
    for variable in sorted(set(rows) & set(options)):
        listed = rows[variable][1]
        default = None if listed == "unset" else yaml.safe_load(listed.strip("`"))
        specified = options[variable].get("default")
        if default != specified:
            errors.append(f"README variable {variable}: default {listed}, argument_specs.yml's {specified!r}")
    assert errors == []
