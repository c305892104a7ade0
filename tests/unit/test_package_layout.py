"""The house's shape, kept: the layer's packages depend one way, and no folder or module outgrows a reader's screen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "common" / "solar_core"

# Each package of the layer, and the packages of the layer it must never import (directly or inside a function).
# The order they build on: catalog and orders → installations → scheduling → opensolar → automation.
MUST_NOT_IMPORT = {
    "catalog": ("orders", "installations", "scheduling", "opensolar", "automation"),
    "orders": ("installations", "scheduling", "opensolar", "automation"),
    "installations": ("scheduling", "opensolar", "automation"),
    "scheduling": ("opensolar", "automation"),
    "opensolar": ("automation",),
    "adapters": ("catalog", "orders", "installations", "scheduling", "opensolar", "automation"),
}
MAX_MODULES_PER_FOLDER = 15
MAX_LINES_PER_MODULE = 400
WATCHED_FOLDERS = (ROOT / "local", LAYER)


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(LAYER.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def modules_of(package: str) -> list[Path]:
    return sorted((LAYER / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(MUST_NOT_IMPORT))
def test_a_layer_package_never_imports_the_packages_built_on_it(package: str) -> None:
    # given every module of the package
    modules = modules_of(package)
    assert modules, f"solar_core/{package} has no modules"
    # when their imports are read
    offending = {
        f"{path.relative_to(LAYER)} imports {name}"
        for path in modules
        for name in imported_modules(path)
        if any(
            name == f"solar_core.{other}" or name.startswith(f"solar_core.{other}.")
            for other in MUST_NOT_IMPORT[package]
        )
    }
    # then none reaches a package that builds on this one
    assert not offending, sorted(offending)


def test_the_neutral_modules_at_the_top_of_the_layer_import_no_domain_package() -> None:
    # given the layer's top-level modules (settings, errors, AWS edges, paging, …)
    top = list(LAYER.glob("*.py"))
    domain = ("catalog", "orders", "installations", "opensolar", "automation")
    # when their imports are read, then none is a domain package
    offending = [
        f"{path.name} imports {name}"
        for path in top
        for name in imported_modules(path)
        if any(name.startswith(f"solar_core.{package}") for package in domain)
    ]
    assert not offending, offending


def python_folders() -> list[Path]:
    folders = {path.parent for root in WATCHED_FOLDERS for path in root.rglob("*.py")}
    return sorted(folder for folder in folders if "__pycache__" not in folder.parts)


@pytest.mark.parametrize("folder", python_folders(), ids=lambda folder: str(folder.relative_to(ROOT)))
def test_no_folder_holds_more_modules_than_a_screen_shows(folder: Path) -> None:
    # given a folder of local/ or of the layer, when its modules are counted
    modules = sorted(path.name for path in folder.glob("*.py"))
    # then there are few enough to read its list at a glance, and it says in one line what lives there
    assert len(modules) <= MAX_MODULES_PER_FOLDER, modules
    init = folder / "__init__.py"
    assert init.is_file(), f"{folder.relative_to(ROOT)} has no __init__.py saying what lives there"
    docstring = ast.get_docstring(ast.parse(init.read_text()))
    assert docstring, f"{init.relative_to(ROOT)} has no docstring"


def test_no_module_is_longer_than_a_reader_holds_in_mind() -> None:
    # given every Python module of local/, the layer and the functions, and the console's scripts
    files = [path for root in (*WATCHED_FOLDERS, ROOT / "functions") for path in root.rglob("*.py")]
    files += list((ROOT / "functions" / "console" / "static").glob("*.js"))
    # when their lines are counted, then none is over the limit
    long = {
        str(path.relative_to(ROOT)): n
        for path in files
        if (n := len(path.read_text().splitlines())) > MAX_LINES_PER_MODULE
    }
    assert not long, long
