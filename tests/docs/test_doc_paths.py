"""The docs name files that exist: a newcomer who opens `campaigns/services/door.py` from README.md finds it.

Read from the text (nothing is imported): every backticked path that starts with one of the repository's own
top-level names (``campaigns/…``, ``docs/…``, ``Makefile``, ``.ci/run``) and every relative Markdown link in
README.md and docs/*.md must name a file or folder of the checkout. Placeholders (``<id>``, ``*``) match any name.
A path that a page names from inside an app (``services/claim.py`` in docs/dispatch.md) must end the path of some
file. Bare file names (``door.py``) are left out: the paragraph around them says which folder they are in.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_THE_PROJECT = {".git", ".venv", "var", "node_modules"}  # made by tools or at run time, never named as source
TOP_LEVEL = {path.name for path in ROOT.iterdir()} - NOT_THE_PROJECT

BACKTICKED = re.compile(r"`([^`\s]+)`")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
PLACEHOLDER = re.compile(r"<[^>/]*>|\*")
SOURCE_SUFFIXES = (".py", ".html", ".js", ".css", ".sh", ".md", ".json", ".yml", ".txt")
# Files of Infobip's own Python SDK that docs/infobip.md quotes; they are not part of this repository.
ELSEWHERE = {"api/sms_api.py", "api/email_api.py", "models/sms_request.py"}


def _as_path(text: str) -> str | None:
    """``campaigns/services/door.py:42`` → ``campaigns/services/door.py``; None for what is not a repo path."""
    text = re.split(r"::|:(?=\d)", text, maxsplit=1)[0].rstrip(".,;")
    if "://" in text or "=" in text or "{" in text or "..." in text or "…" in text:
        return None
    head = text.split("/", 1)[0]
    if head in TOP_LEVEL:
        return None if head == text and "." not in head and head not in ("Makefile", "Dockerfile") else text
    if "/" in text and not text.startswith("/") and text.endswith(SOURCE_SUFFIXES) and text not in ELSEWHERE:
        return text  # named from inside an app: checked as the tail of a path
    return None


def named_paths(doc: Path) -> list[tuple[str, Path | None]]:
    """(as written, the path from the checkout's root, or None for a tail such as ``services/claim.py``)."""
    text = doc.read_text()
    found: list[tuple[str, Path | None]] = []
    for name in filter(None, map(_as_path, BACKTICKED.findall(text))):
        found.append((name, ROOT / name if name.split("/", 1)[0] in TOP_LEVEL else None))
    for target in LINK.findall(text):
        if "://" not in target and not target.startswith("mailto:"):
            found.append((target, (doc.parent / target).resolve()))
    return found


def _tails() -> set[str]:
    """Every tail (``services/claim.py``, ``notifications/services/claim.py``) of every file of the project."""
    tails = set()
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_THE_PROJECT and name != "__pycache__"]
        parts = Path(folder).relative_to(ROOT).parts
        for name in files:
            tails.update("/".join([*parts, name][index:]) for index in range(len(parts)))
    return tails


def missing(doc: Path, tails: set[str]) -> list[str]:
    """What the page names that the checkout does not have, as written."""
    gone = []
    for written, path in named_paths(doc):
        if path is None:
            found = written in tails
        elif PLACEHOLDER.search(written) and path.is_relative_to(ROOT):
            found = any(ROOT.glob(PLACEHOLDER.sub("*", path.relative_to(ROOT).as_posix())))
        else:
            found = path.exists()
        if not found:
            gone.append(written)
    return sorted(set(gone))


@pytest.fixture(scope="module")
def tails() -> set[str]:
    return _tails()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_path_a_page_names_exists(doc: Path, tails: set[str]) -> None:
    assert missing(doc, tails) == [], f"{doc.relative_to(ROOT)} names files that do not exist"


def test_the_checker_sees_paths_and_links(tails: set[str]) -> None:
    """The checker itself: paths, tails, placeholders and links are read and checked; other backticked words not."""
    page = ROOT / "docs" / "_paths_probe.md"
    page.write_text(
        "See `campaigns/services/door.py:12`, `campaigns/nothing_here.py`, `locale/<lang>/LC_MESSAGES/django.po`,\n"
        "`services/claim.py`, `services/no_such_job.py`, `door.py`, `DATABASE_URL=postgres://x`, `/campaigns/<id>/`,\n"
        "`Makefile`, [the sandbox](sandbox.md), [gone](gone.md) and [web](https://example.com/x.md).\n"
    )
    try:
        assert [written for written, _path in named_paths(page)] == [
            "campaigns/services/door.py",
            "campaigns/nothing_here.py",
            "locale/<lang>/LC_MESSAGES/django.po",
            "services/claim.py",
            "services/no_such_job.py",
            "Makefile",
            "sandbox.md",
            "gone.md",
        ]
        assert missing(page, tails) == ["campaigns/nothing_here.py", "gone.md", "services/no_such_job.py"]
    finally:
        page.unlink()
