"""The house's imports run one way, at run time too: public_site → campaigns → notifications → clients.

Read from the source (no import needed): every ``import``, every ``apps.get_model("<app>", …)``, every
``import_string("<dotted path>")`` and ``importlib.import_module("<module>")`` in a lower app must name the same app
or one below it. ``import_string`` and ``import_module`` with a computed argument are refused outright in the apps
(a setting naming a function is how an upward call hides), except where an app loads its own plug-in by setting.
The same apps keep small modules with one job: none is over 300 lines, migrations aside.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Top first; an app may import only the apps after it.
LAYERS = ("outage_portal", "public_site", "campaigns", "notifications", "clients")
CHECKED = ("public_site", "campaigns", "notifications", "clients")
# notifications.providers loads the provider class named by NOTIFICATIONS_PROVIDER: its own plug-in, not a higher app.
OWN_PLUGIN_LOADERS = {"notifications/providers/__init__.py"}


def _sources() -> list[Path]:
    files = []
    for app in CHECKED:
        files += [p for p in sorted((ROOT / app).rglob("*.py")) if "migrations" not in p.parts]
    return files


def _app_of(dotted: str) -> str | None:
    head = dotted.split(".", 1)[0]
    return head if head in LAYERS else None


def _higher(own: str, other: str | None) -> bool:
    return other is not None and LAYERS.index(other) < LAYERS.index(own)


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def violations(path: Path) -> list[str]:
    relative = path.relative_to(ROOT).as_posix()
    own = relative.split("/", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if _higher(own, _app_of(a.name))]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _higher(own, _app_of(node.module)):
                found.append(f"line {node.lineno}: from {node.module} import …")
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            first = _literal(node.args[0]) if node.args else None
            if name == "get_model":
                target = first.split(".", 1)[0] if first else None
                if target is None or _higher(own, _app_of(target)):
                    found.append(f"line {node.lineno}: apps.get_model({first!r}, …)")
            elif name in ("import_string", "import_module"):
                if relative in OWN_PLUGIN_LOADERS:
                    continue
                if first is None or _higher(own, _app_of(first)):
                    found.append(f"line {node.lineno}: {name}({first!r})")
    return found


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_reaches_a_higher_app(path: Path) -> None:
    assert violations(path) == []


MAX_MODULE_LINES = 300


def test_no_app_module_is_over_300_lines() -> None:
    """Small modules with one job (migrations aside): a module past 300 lines is split, not grown (``wc -l``)."""
    sizes = {p.relative_to(ROOT).as_posix(): p.read_bytes().count(b"\n") for p in _sources()}
    assert {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES} == {}


def test_the_checker_sees_each_way_up(tmp_path: Path) -> None:
    """The checker itself: each kind of upward reach is reported (so a green run means something)."""
    module = ROOT / "clients" / "_house_probe.py"
    module.write_text(
        "from django.apps import apps\n"
        "from django.utils.module_loading import import_string\n"
        "import notifications.models\n"
        "from campaigns.models import Campaign\n"
        "apps.get_model('notifications', 'Message')\n"
        "import_string('notifications.signup_delivery.deliver')\n"
        "import_string(SETTING)\n"
        "apps.get_model('clients', 'Client')\n"
    )
    try:
        assert [line.split(":")[0] for line in violations(module)] == [
            "line 3",
            "line 4",
            "line 5",
            "line 6",
            "line 7",
        ]
    finally:
        module.unlink()
