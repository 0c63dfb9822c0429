"""scripts/import_graph.py: the import graph read from source, and callfix itself has no import cycle."""
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
ig = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ig)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        f = root / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return root


def test_a_cycle_through_relative_and_function_local_imports_is_found(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg.sub import b\n",
        "sub/__init__.py": "from pkg.sub.b import helper\n",
        "sub/b.py": "def helper():\n    from ..c import f\n    return f\n",
        "c.py": "import pkg.a\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import d\n",
        "d.py": "from pkg.c import f\n",
        "e.py": "from pkg import a, d\nfrom pkg.sub import helper\n",
    })
    graph = ig.import_graph(root, "pkg")
    assert graph["pkg.a"] == {"pkg.sub.b", "pkg.sub"}  # pkg/sub/__init__ runs first
    assert graph["pkg.sub.b"] == {"pkg.c"}  # relative, inside a function
    assert graph["pkg.c"] == {"pkg.a"}  # the TYPE_CHECKING import is no edge
    assert graph["pkg.e"] == {"pkg.a", "pkg.d", "pkg.sub"}  # a name from a package is the package
    assert graph["pkg.sub"] == {"pkg.sub.b"}
    assert ig.cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub", "pkg.sub.b"]]
    assert ig.main([str(root), "--cycles"]) == 1


def test_a_cycle_through_a_package_init_is_found(tmp_path):
    # importing pkg.x.z runs pkg/x/__init__, which imports pkg.y, which is still being imported
    root = _package(tmp_path, {"__init__.py": "", "x/__init__.py": "from pkg import y\n", "x/z.py": "",
                               "y.py": "from pkg.x.z import *\n"})
    assert ig.cycles(ig.import_graph(root, "pkg")) == [["pkg.x", "pkg.y"]]


def test_no_cycle_exits_zero(tmp_path):
    root = _package(tmp_path, {"__init__.py": "", "a.py": "from . import b\n", "b.py": "import os\n"})
    assert ig.cycles(ig.import_graph(root, "pkg")) == []
    assert ig.main([str(root)]) == 0


def test_callfix_has_no_import_cycle():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "import_graph.py"), "--cycles"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert " 0 cycles" in r.stderr




def _local_own_imports(path: Path):
    """callfix imports inside functions: (line, last line, module)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == "callfix"):
                    yield node.lineno, node.end_lineno, "." * node.level + (node.module or "")
                elif isinstance(node, ast.Import):
                    for a in node.names:
                        if a.name.split(".")[0] == "callfix":
                            yield node.lineno, node.end_lineno, a.name


def _has_reason(lines: list[str], first: int, last: int) -> bool:
    """A comment on the import, or above it with only blank lines and other imports between."""
    if any("#" in lines[i - 1] for i in range(first, last + 1)):
        return True
    i = first - 1
    while i >= 1:
        s = lines[i - 1].strip()
        if s.startswith("#"):
            return True
        if s and not s.startswith(("from ", "import ")):
            return False
        i -= 1
    return False


def test_own_module_imports_inside_functions_say_why():
    found = set()
    for path in sorted([*(ROOT / "callfix").rglob("*.py"), *(ROOT / "scripts").glob("*.py")]):
        lines = path.read_text(encoding="utf-8").splitlines()
        for first, last, module in _local_own_imports(path):
            if not _has_reason(lines, first, last):
                found.add((str(path.relative_to(ROOT)), module, first))
    assert not found, sorted(found)


def test_an_import_inside_a_function_without_a_reason_is_found(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import os\n\ndef a():\n    # torch: slow to import\n    from callfix import x\n    from callfix import y\n\n"
                 "def b():\n    n = 1\n    from callfix.model import Token\n\ndef c():\n    import callfix.z  # lazy: why\n")
    lines = f.read_text().splitlines()
    assert [(m, _has_reason(lines, a, b)) for a, b, m in _local_own_imports(f)] == [
        ("callfix", True), ("callfix", True), ("callfix.model", False), ("callfix.z", True)]
