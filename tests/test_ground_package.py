"""The ground package ``onecua`` imports no app: the apps build on it, never the reverse.

Only the URL roots (``onecua/urls.py``, ``onecua/api_urls.py``) wire the apps' URLs in.
"""
import ast
from pathlib import Path

import onecua

APPS = {"dossiers", "reporting", "monitoring", "citizens", "papers", "connected", "demo"}
URL_ROOTS = {"urls.py", "api_urls.py"}


def _imported_top_packages(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_the_ground_package_imports_an_app():
    root = Path(onecua.__file__).parent
    offenders = {
        str(p.relative_to(root)): sorted(_imported_top_packages(p) & APPS)
        for p in sorted(root.rglob("*.py")) if p.name not in URL_ROOTS or p.parent != root
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_log_filter_and_the_pages_mask_with_one_rule():
    from dossiers import pii as dossiers_pii
    from onecua import pii

    assert dossiers_pii.mask_text is pii.mask_text and dossiers_pii.mask_phone is pii.mask_phone
    assert pii.mask_text("CCCD 001099012345, ĐT 0912 345 678") == "CCCD 0010******45, ĐT 0912 *** *78"
