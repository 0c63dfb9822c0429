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
