"""The agents' service modules share only public names: what base.py (or a sibling) keeps
private stays inside it."""

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "agents" / "services"


def test_no_service_module_imports_a_private_name_of_another():
    offenders = [
        f"{path.name}: {alias.name} from {node.module}"
        for path in sorted(SERVICES.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
        if alias.name.startswith("_")
    ]

    assert offenders == []
