"""The house rules a reviewer would check by hand: no import circle among the project's
modules (counting imports inside functions too), and no file over 300 lines."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("device", "models")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules this file imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def test_no_import_circle():
    files = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = {n: imports_of(p, n, set(files)) for n, p in files.items()}
    # a package's __init__ importing its own modules is how packages work, not a circle
    graph = {n: {t for t in ts if not t.startswith(n + ".")} for n, ts in graph.items()}
    state: dict[str, int] = {}

    def visit(n, path):
        state[n] = 1
        for t in graph.get(n, ()):
            assert state.get(t) != 1, "import circle: " + " -> ".join(path + [t])
            if t not in state:
                visit(t, path + [t])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [n])


def test_no_file_over_300_lines():
    long = [f"{p.relative_to(ROOT)}: {n}" for pkg in PACKAGES + ("tests", "benchmarks")
            for p in (ROOT / pkg).rglob("*.py") if (n := len(p.read_text().splitlines())) >= 300]
    assert not long, long
