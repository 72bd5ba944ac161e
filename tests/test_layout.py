"""The project's layout holds: packages import only the layers below them (the import-linter
contract in .importlinter), no module imports itself round a circle, and no function imports a
project module unless a framework demands it (the line then says why)."""

import ast
import configparser
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def _packages() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter"]["root_packages"].split()


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_itself_round_a_circle():
    """Imports inside functions count too: grimp reads them all."""
    graph = grimp.build_graph(*_packages())
    assert _cycles(graph) == []


def _function_level_imports(path: Path, packages: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            ours = [name for name in names if name.split(".")[0] in packages]
            reason_given = any(
                "framework" in line or "apps.ready" in line or "ready()" in line
                for line in lines[max(0, inner.lineno - 4) : inner.lineno]
            )
            if ours and not reason_given:
                found.append(f"{path.relative_to(ROOT)}:{inner.lineno} {', '.join(ours)}")
    return found


def test_no_function_imports_a_project_module_without_a_reason():
    packages = set(_packages())
    found = []
    for package in sorted(packages):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found.extend(_function_level_imports(path, packages))
    assert found == []


def test_the_layers_contract_holds():
    """The same check as CI's lint-imports, so a broken layer fails the test run too."""
    result = subprocess.run(
        [sys.executable, "-m", "importlinter.cli", "--config", str(ROOT / ".importlinter")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
