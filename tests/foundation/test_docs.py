"""The README's configuration table names every environment variable the settings read."""

from __future__ import annotations

import re

from tests.foundation.embedded import BASE_DIR, settings_variables


def test_readme_documents_every_settings_variable():
    """Each variable read in outage_portal/settings.py appears, in backticks, in README.md."""
    readme = (BASE_DIR / "README.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))
    assert sorted(settings_variables() - documented) == []


def test_readme_quick_start_comes_first():
    """The README opens with the two commands a newcomer needs: make run and make test."""
    readme = (BASE_DIR / "README.md").read_text()
    quick_start = readme.index("## Quick start")
    assert readme.index("make run") > quick_start
    assert readme.index("make test") > quick_start
    assert quick_start == readme.index("## ")


def test_readme_links_to_documentation_that_exists():
    """Every docs/… page and image the README points to is in the repository."""
    readme = (BASE_DIR / "README.md").read_text()
    targets = set(re.findall(r"\]\((docs/[^)#]+)\)", readme)) | set(re.findall(r"\b(docs/[\w./-]+\.md)\b", readme))
    assert targets
    assert sorted(target for target in targets if not (BASE_DIR / target).exists()) == []
