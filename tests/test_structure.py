"""The apps of tilios/ form layers: an app imports only apps below it, so there is no import circle.

An event that must travel up (a merge that moves activity reports, a published revision that changes the
census) goes through a signal its app declares and lists the receivers of; the code never imports upwards,
not even inside a function."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "tilios"

# Bottom to top. Modules at the root of tilios/ (text, csvsafe, journal, failures, rows, settings, wsgi) are the
# project's infrastructure; `urls`, `cli` and `__main__` sit above everything.
LAYERS = [
    {"__init__", "text", "csvsafe", "failures", "journal", "progress", "rows", "settings", "wsgi"},
    {"territories"},
    {"accounts"},
    {"revisions"},
    {"places"},
    {"media"},
    {"sources"},
    {"census"},
    {"policy"},
    {"activity"},
    {"pages"},
    {"watchlist"},
    {"opendata"},
    {"instance"},
    {"api"},
    {"web"},
    {"urls", "cli", "__main__"},
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}

def app_of(module):
    parts = module.split(".")
    return parts[1] if parts[0] == "tilios" and len(parts) > 1 else None


def imports():
    """(importing app, imported app, file, line) for every import of project code, functions included."""
    found = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts:
            continue
        app = relative.parts[0].removesuffix(".py")
        package = ["tilios", *relative.parts[:-1]]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: resolve against the module's package
                    base = package[: len(package) - node.level + 1]
                    modules = [".".join(base + ([node.module] if node.module else []))]
                else:
                    modules = [node.module or ""]
            else:
                continue
            for module in modules:
                target = app_of(module)
                if target and target != app:
                    found.append((app, target, str(relative), node.lineno))
    return found


def test_every_app_has_a_layer():
    apps = {path.name.removesuffix(".py") for path in ROOT.iterdir()
            if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists())}
    assert sorted(apps - set(RANK)) == []


def test_no_app_imports_an_app_above_it():
    upward = sorted({(a, b, f"{file}:{line}") for a, b, file, line in imports() if RANK[b] > RANK[a]})
    assert upward == [], "imports that run up the layers (use a signal of the lower app instead):\n" + "\n".join(
        f"  {a} → {b}  ({where})" for a, b, where in upward)


def test_one_record_type_and_one_visibility_rule():
    """Record types are registered once (revisions.records) and who sees an unpublished record is decided once
    (revisions.visibility): no module of the site or the API keeps its own copy."""
    defined = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in ("RecordType", "visible_to",
                                                                                    "visible", "_may_see"):
                defined.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    assert defined == {"RecordType": ["revisions/records.py"], "visible_to": ["revisions/visibility.py"]}
    from tilios.media.models import MediaFile
    from tilios.pages.models import Page
    from tilios.places.models import Place
    from tilios.revisions import records

    assert {rt.name for rt in records.all_types()} == {"place", "page", "file", "training"}
    assert records.of(Place).key == "public_id" and records.of(Page()).key == "slug"
    assert records.of(MediaFile).key == "name"


def test_every_api_schema_has_its_own_name():
    """The OpenAPI document names each schema by its class: two classes of one name in two modules would
    document one endpoint with the other's fields."""
    import inspect

    from ninja import Schema

    from tilios.api import api  # noqa: F401 — every API module loaded

    seen = {}
    for module_name, module in list(__import__("sys").modules.items()):
        if not module_name.startswith("tilios.api."):
            continue
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Schema) and obj.__module__ == module_name:
                seen.setdefault(name, set()).add(module_name)
    assert {name: sorted(where) for name, where in seen.items() if len(where) > 1} == {}
