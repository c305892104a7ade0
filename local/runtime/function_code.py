"""A handler module loaded by file path, as the Lambda runtime does: one loader for the stack, tools and tests."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

from local.aws.template import ROOT

LAYER_DIR = ROOT / "layers" / "common"
FUNCTIONS_DIR = ROOT / "functions"

_lock = threading.RLock()


def load_module(module_file: Path, module_name: str) -> ModuleType:
    """`module_file` imported as `module_name`, once: a later call returns the same module, another name a separate
    copy (like a second container). The layer and the file's folder are importable, as in Lambda, where the code
    folder is the path's root and the layer is under /opt/python."""
    with _lock:
        if module_name in sys.modules:
            return sys.modules[module_name]
        for directory in (LAYER_DIR, module_file.parent):
            if str(directory) not in sys.path:
                sys.path.append(str(directory))
        spec = importlib.util.spec_from_file_location(module_name, module_file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {module_file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module


def load_function(name: str, module_name: str | None = None) -> ModuleType:
    """`functions/<name>/app.py` as a module (see `load_module`)."""
    return load_module(FUNCTIONS_DIR / name / "app.py", module_name or f"function_{name}_app")
