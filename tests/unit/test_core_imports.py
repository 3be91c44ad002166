"""House rule 1: the core imports only the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = [ROOT / "bot" / "domain", ROOT / "bot" / "services", ROOT / "bot" / "render", ROOT / "bot" / "ports.py"]


def _modules(path: Path) -> list[tuple[Path, str]]:
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    found = []
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), filename=str(file))):
            if isinstance(node, ast.Import):
                found += [(file, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((file, node.module))
    return found


def test_core_imports_only_the_standard_library() -> None:
    bad = []
    for path in CORE:
        for file, module in _modules(path):
            top = module.split(".")[0]
            if top == "bot" or top in sys.stdlib_module_names or top == "__future__":
                continue
            bad.append(f"{file.relative_to(ROOT)}: {module}")
    assert not bad, bad


def test_core_never_imports_adapters_or_storage() -> None:
    bad = [f"{f.relative_to(ROOT)}: {m}" for p in CORE for f, m in _modules(p)
           if m.split(".")[0] in ("adapters", "storage") or m in ("bot.bootstrap", "bot.config", "bot.cli")]
    assert not bad, bad
