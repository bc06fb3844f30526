"""The layout's promises, checked on the import graph of every module (imports inside functions
count; those under ``if TYPE_CHECKING:`` do not, they never run): no import cycles (not even
through type-only imports), layers that only go down (:data:`LAYERS`), ``teachers`` uses nothing of
``distill`` but the interface module, ``distill`` reaches teachers only through the ``teachers``
package's own API, and every subpackage says its job in a docstring."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("distill", "teachers")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


# The layers of `distill`, lowest first: a module imports its own layer and those below it, never one
# above (docs/layout.md draws them). Each entry names a module or a package (all its modules).
LAYERS = (
    ("distill.errors", "distill.core", "distill.loading", "distill.schema", "distill.text", "distill.callbacks"),
    ("distill.checks",),  # is this answer right?
    ("distill.store",),  # the run folder
    ("distill.model",),  # weights and generation
    ("distill.data",),  # what was written for training and evaluation
    ("distill.curate",),  # what a round trains on
    ("distill.train",),  # the objectives and their training
    ("distill.eval",),  # measuring a round (held-out loss with the training step's own batches) and the verdict
    ("distill.config",),  # RunConfig: every section's typed config
    ("distill.publish",),  # report, model cards, trackers, the Hub
    ("distill.loop", "distill.critic"),  # the run's spine; the critic's build beside it
    ("distill.ui", "distill.interface", "distill"),  # what people and teachers use
)


def layer(module: str) -> int:
    """The index in :data:`LAYERS` of the longest entry that names ``module`` or a package holding it."""
    found = [(len(entry), i) for i, entries in enumerate(LAYERS) for entry in entries
             if module == entry or (entry != "distill" and module.startswith(entry + "."))]
    assert found, f"{module} is in no layer: add it to LAYERS (and to docs/layout.md)"
    return max(found)[1]


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path, known: set[str], type_only: bool = False) -> set[str]:
    """The project modules ``path`` imports, anywhere but under ``if TYPE_CHECKING:`` (there too with
    ``type_only``)."""
    name = module_name(path)
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node) and not type_only:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                pkg = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in known and m != name}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(path, set(mods)) for name, path in mods.items()}


@pytest.fixture(scope="module")
def typed_graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(path, set(mods), type_only=True) for name, path in mods.items()}


@pytest.mark.parametrize("which", ["graph", "typed_graph"])
def test_the_import_graph_has_no_cycle(which, request):
    graph = request.getfixturevalue(which)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_no_module_imports_a_layer_above_its_own(graph):
    upward = [f"{name} ({LAYERS[layer(name)][0]}) imports {dep} ({LAYERS[layer(dep)][0]})"
              for name, deps in sorted(graph.items()) if name.split(".")[0] == "distill"
              for dep in sorted(deps) if dep.split(".")[0] == "distill" and layer(dep) > layer(name)]
    assert not upward, "imports climbing a layer:\n" + "\n".join(upward)


def test_teachers_use_nothing_of_distill_but_the_interface(graph):
    for name, deps in graph.items():
        if name.split(".")[0] == "teachers":
            reached = {d for d in deps if d.split(".")[0] == "distill"}
            assert reached <= {"distill.interface"}, f"{name} imports {sorted(reached - {'distill.interface'})}"


def test_distill_reaches_teachers_only_through_the_package_api(graph):
    for name, deps in graph.items():
        if name.split(".")[0] == "distill":
            inner = {d for d in deps if d.startswith("teachers.")}
            assert not inner, f"{name} imports teachers' internals {sorted(inner)}; use `from teachers import ...`"


def test_the_interface_sits_on_the_vocabulary_alone(graph):
    # The toolkit's own modules are the interface's services, loaded when first used (the model, the client).
    eager = imports(ROOT / "distill" / "interface.py", set(graph))
    module_level = {d for d in eager if d.startswith("distill.")}
    assert module_level - {"distill.model.resolve", "distill.model.student", "distill.model.openai_client",
                           "distill.model"} <= {"distill.core", "distill.errors", "distill.loading",
                                                "distill.checks.numbers", "distill.checks.working",
                                                "distill.checks.reference", "distill.checks.verdict", "distill.checks"}


def test_every_subpackage_says_its_job():
    for init in (ROOT / "distill").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 5, f"{init.parent.name}/ has no docstring saying its job"


def test_public_imports_keep_working():
    import distill

    for name in distill.__all__:
        assert getattr(distill, name) is not None
    from distill import RunConfig, Student, run  # noqa: F401  (the README's imports)

    assert importlib.import_module("distill.interface").OpenAIClient.__name__ == "OpenAIClient"
