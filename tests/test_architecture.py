"""The house is one-way: imports (module-level and inside functions alike) never form a cycle or point upwards.

- No cycle between files, and none between the folders of `api/` (a folder that imports another is never
  imported back by it, directly or through others).
- `models/` uses nothing of ours; `training/` and `pipelines/` use `models/` only; `api/` uses all three.
- Inside `api/`, record folders (tables, schemas, plain reads) import no flow folder, and only the entry points
  (`main`, `cli`, `worker`, `demo`) import an entry point. The running service (`api.main`) never imports
  `training/`.
- Offline work (`api.lab.offline`: benchmarks, experiments, simulations, reference readers) is imported only by
  the entry points and itself; the running service never imports it.
- No source file is over 350 lines and no source function over 60 (migrations aside; tests are held to the file
  limit only).
- The README's code map names every folder and top-level module of the four packages, and nothing else.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "models", "training", "pipelines")
RECORDS = {"accounts", "interactions", "suggestions", "decisions", "users", "outcomes", "jobs", "events", "checks",
           "model_versions", "signals", "todos", "shadows", "sources"}
FLOWS = {"pulse", "review", "intake", "audit", "exports", "privacy", "lab", "web", "cli"}
ENTRY_POINTS = {"api.main", "api.cli", "api.worker", "api.demo"}
MAX_LINES = 350


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    """Every module of the four packages (migration scripts aside), by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.relative_to(ROOT).parts:
                found[module_name(path)] = path
    return found


def imported(module: str, path: Path, known: Iterable[str]) -> set[str]:
    """The modules of ours that a file imports, anywhere in it."""
    names = set(known)
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            candidates = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for candidate in candidates:
            # `import api.accounts.models` also runs the packages above it; the module itself is what counts.
            while candidate and candidate not in names:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != module:
                targets.add(candidate)
    return targets


def graph() -> dict[str, set[str]]:
    modules = sources()
    return {name: imported(name, path, modules) for name, path in modules.items()}


def folder(module: str) -> str:
    """`api.accounts.service` -> `api.accounts`; a top-level module of api stands for itself."""
    parts = module.split(".")
    if parts[0] != "api":
        return parts[0]
    return ".".join(parts[:2])


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    nodes = set(edges) | {b for bs in edges.values() for b in bs}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
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


def test_no_import_cycle_between_files() -> None:
    assert cycles(graph()) == []


def test_no_import_cycle_between_the_folders_of_api() -> None:
    folders: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph().items():
        for target in targets:
            if source.startswith("api") and target.startswith("api") and folder(source) != folder(target):
                folders[folder(source)].add(folder(target))
    assert cycles(folders) == []


def test_dependencies_point_one_way() -> None:
    allowed = {"models": {"models"}, "training": {"training", "models"}, "pipelines": {"pipelines", "models"},
               "api": set(PACKAGES)}
    wrong = sorted(f"{source} -> {target}" for source, targets in graph().items() for target in targets
                   if target.split(".")[0] not in allowed[source.split(".")[0]])
    assert wrong == []


def entry_point(module: str) -> bool:
    """The entry points, and the command modules of `api.cli`, which compose everything."""
    return module in ENTRY_POINTS or module.startswith("api.cli.")


def test_records_import_no_flow_and_only_entry_points_import_an_entry_point() -> None:
    wrong = []
    for source, targets in graph().items():
        parts = source.split(".")
        for target in targets:
            tparts = target.split(".")
            if entry_point(target) and not entry_point(source):
                wrong.append(f"{source} -> {target} (an entry point)")
            elif (parts[0] == "api" and len(parts) > 2 and parts[1] in RECORDS and tparts[0] == "api"
                  and len(tparts) > 1 and tparts[1] in FLOWS):
                wrong.append(f"{source} -> {target} (a record folder reaching up into a flow)")
    assert wrong == []


def test_every_api_folder_is_a_record_or_a_flow() -> None:
    folders = {p.name for p in (ROOT / "api").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders - {"migrations"} <= RECORDS | FLOWS, folders - RECORDS - FLOWS


def reachable(edges: dict[str, set[str]], *starts: str) -> set[str]:
    """Every module the starting ones import, directly or through others (themselves included)."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(edges.get(module, ()))
    return seen


def test_the_running_service_never_imports_training() -> None:
    assert sorted(m for m in reachable(graph(), "api.main") if m.startswith("training")) == []


OFFLINE = "api.lab.offline"


def test_offline_work_is_imported_only_by_entry_points_and_never_by_the_service() -> None:
    edges = graph()
    wrong = sorted(f"{source} -> {target}" for source, targets in edges.items() for target in targets
                   if target.startswith(OFFLINE) and not source.startswith(OFFLINE) and not entry_point(source))
    assert wrong == []
    assert sorted(m for m in reachable(edges, "api.main", "api.worker") if m.startswith(OFFLINE)) == []


def test_no_source_file_is_over_350_lines() -> None:
    long = {str(path.relative_to(ROOT)): n for path in [*sources().values(), *(ROOT / "tests").rglob("*.py")]
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def code_map() -> set[str]:
    """The paths the README's code map names: each line's first words ending in / or .py, under its package."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index("## Code map"):]
    block = block[block.index("```") + 3:]
    block = block[:block.index("```")]
    named: set[str] = set()
    package = ""
    for line in block.splitlines():
        if not line.strip() or line.startswith(" " * 29):
            continue  # a blank line or a description's continuation
        words = line[:29].split()
        if not line.startswith(" "):
            package = words[0].rstrip("/")
            named.add(package)
            continue
        named.update(f"{package}/{word.rstrip('/')}" for word in words)
    return named


def tree() -> set[str]:
    """Every folder (templates and artifacts count, caches do not) and top-level module of the four packages."""
    found: set[str] = {*PACKAGES, "tests"}  # tests/ is named whole, its folders one per package
    for package in PACKAGES:
        base = ROOT / package
        found.update(f"{package}/{p.name}" for p in base.glob("*.py") if p.name != "__init__.py")
        for directory in base.rglob("*"):
            relative = directory.relative_to(base)
            if (directory.is_dir() and "__pycache__" not in relative.parts and len(relative.parts) <= 2
                    and not (relative.parts[0] in ("migrations", "artifacts") and len(relative.parts) > 1)
                    and not (package == "training" and relative.parts[0] == "samples" and len(relative.parts) > 1)):
                found.add(f"{package}/{relative.as_posix()}")
    return found


def test_the_code_map_and_the_folders_agree() -> None:
    named, present = code_map(), tree()
    assert {"missing from the code map": sorted(present - named), "named but absent": sorted(named - present)} == {
        "missing from the code map": [], "named but absent": []}


SQL_NAMING = ("FROM ", "INTO ", "UPDATE ", "JOIN ", "TABLE ", "VACUUM ")
"""Words after which raw SQL names a table."""


def tables_named_in_strings(path: Path) -> list[str]:
    """Where a file names a table in a string: sqlalchemy's table("name") or raw SQL over a table of ours."""
    from sqlmodel import SQLModel

    import api.tables  # noqa: F401  (every table registered)

    ours = set(SQLModel.metadata.tables)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        first = node.args[0]
        strings = [first.value] if isinstance(first, ast.Constant) and isinstance(first.value, str) else [
            part.value for part in ast.walk(first) if isinstance(part, ast.Constant) and isinstance(part.value, str)]
        if name == "table" and strings and strings[0] in ours:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} table({strings[0]!r})")
        elif name == "text":
            sql = " ".join(strings).upper()
            named = {t for t in ours if any(f"{word}{t.upper()}" in sql for word in SQL_NAMING)}
            if named:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} SQL over {sorted(named)}")
    return found


def test_no_table_is_named_in_a_string_so_every_table_dependency_is_an_import() -> None:
    # The rate limiter's own upsert names the table its module defines; the offline generators bulk-insert.
    allowed = {"api.ratelimit"}
    wrong = [hit for name, path in sources().items() if name.startswith("api") and name not in allowed
             and not name.startswith(OFFLINE) for hit in tables_named_in_strings(path)]
    assert wrong == []


def commits(path: Path) -> bool:
    """Whether a file calls .commit() anywhere."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
               for node in ast.walk(ast.parse(path.read_text(), str(path))))


def test_record_modules_add_and_flush_and_leave_the_commit_to_the_flow() -> None:
    """A record module (tables, schemas, plain reads and writes) never commits: the flow that calls it (a route,
    a job, a command) owns the transaction, so records compose into one unit of work."""
    committing = sorted(name for name, path in sources().items()
                        if (parts := name.split("."))[0] == "api" and len(parts) > 2 and parts[1] in RECORDS
                        and parts[-1] != "routes" and commits(path))
    assert committing == []


MAX_FUNCTION_LINES = 60


def test_no_function_is_over_60_lines() -> None:
    """Source functions (tests and migrations aside) stay short enough to read as one step."""
    long = [f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in sources().values() for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


UNRESOLVED = """
import importlib, sys
from sqlmodel import SQLModel
importlib.import_module(sys.argv[1])
for table in SQLModel.metadata.tables.values():
    for key in table.foreign_keys:
        try:
            key.column
        except Exception:
            print(f"{table.name}.{key.parent.name} -> {key.target_fullname}")
"""


def defines_a_table(path: Path) -> bool:
    return "table=True" in path.read_text()


def test_a_tables_foreign_keys_resolve_whichever_module_is_imported_first() -> None:
    """Each module that defines a table imports the tables its foreign keys name, so a script or benchmark that
    imports one record (and nothing else) can create and flush its rows."""
    modules = sorted(name for name, path in sources().items() if name.startswith("api") and defines_a_table(path))
    assert len(modules) > 10

    def unresolved(module: str) -> list[str]:
        run = subprocess.run([sys.executable, "-c", UNRESOLVED, module], capture_output=True, text=True, cwd=ROOT,
                             check=True)
        return [f"{module}: {line}" for line in run.stdout.splitlines()]

    with ThreadPoolExecutor(max_workers=4) as pool:
        found = [line for lines in pool.map(unresolved, modules) for line in lines]
    assert found == []
