# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: its modules import one another in one direction only, from the command line down to the state.

Every import counts, also one under ``if TYPE_CHECKING:`` or inside a function: a module that names another only
for an annotation still depends on its idea. The modules are read with ast, not imported.
"""

# pylint: disable=missing-function-docstring  # pytest tests
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "fiskaly_emulator"
SOURCE = Path(__file__).resolve().parents[3] / "emulator" / PACKAGE

# From the top down: a module may import those after it, never one before it.
LAYERS = ("__main__", "cli", "emulator", "server", "admin", "state")


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that the module at ``path`` imports, wherever in it the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name.split(".") for alias in node.names]
            found.update(parts[1] for parts in names if parts[0] == PACKAGE and len(parts) > 1)
        elif isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".") if node.module else []
            if node.level == 0:
                if not parts or parts[0] != PACKAGE:
                    continue
                parts = parts[1:]
            if parts:
                found.add(parts[0])
            else:  # from . import name: a module of the package, or a name from __init__
                found.update(alias.name if alias.name in modules else "__init__" for alias in node.names)
    return found & modules


def import_graph(source: Path = SOURCE) -> dict[str, set[str]]:
    """Module name -> the package's modules it imports (__init__ left out: importing any module runs it)."""
    modules = {path.stem for path in source.glob("*.py")}
    graph = {path.stem: imported_modules(path, modules) for path in sorted(source.glob("*.py"))}
    graph.pop("__init__", None)
    return {name: targets - {"__init__", name} for name, targets in graph.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports as a list of modules (the first again at its end), or None."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        for target in sorted(graph.get(name, ())):
            cycle = visit(target, [*path, name])
            if cycle is not None:
                return cycle
        done.add(name)
        return None

    for name in sorted(graph):
        cycle = visit(name, [])
        if cycle is not None:
            return cycle
    return None


def test_the_check_finds_a_cycle_through_an_annotation_only_import(tmp_path: Path) -> None:
    (tmp_path / "server.py").write_text("from .state import State\n", encoding="utf-8")
    annotation_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import server\n"
    (tmp_path / "state.py").write_text(annotation_only, encoding="utf-8")
    (tmp_path / "cli.py").write_text("from fiskaly_emulator.server import Server\n", encoding="utf-8")
    graph = import_graph(tmp_path)
    assert graph == {"cli": {"server"}, "server": {"state"}, "state": {"server"}}
    assert find_cycle(graph) == ["server", "state", "server"]


def test_the_emulator_modules_import_one_another_without_a_cycle() -> None:
    graph = import_graph()
    assert set(LAYERS) <= set(graph), "a module of LAYERS is gone: update the test"
    cycle = find_cycle(graph)
    assert cycle is None, "the emulator's modules import one another in a circle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", LAYERS)
def test_the_command_line_server_and_state_import_only_downwards(module: str) -> None:
    above = set(LAYERS[: LAYERS.index(module)])
    upwards = import_graph()[module] & above
    assert not upwards, f"{module} imports {', '.join(sorted(upwards))}, which stand above it: " + " -> ".join(LAYERS)
