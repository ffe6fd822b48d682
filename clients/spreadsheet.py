"""CSV cells that no spreadsheet runs as a formula: the one guard every CSV export of the portal uses.

Excel and LibreOffice run a cell as a formula when it starts with ``=``, ``+``, ``-`` or ``@`` (OWASP "CSV
injection"), also after characters they skip (spaces, tabs, carriage returns, NUL and other control characters,
zero-width characters), also when the character is a look-alike they normalise (the fullwidth ``＝``, the small
``﹦``, the superscript ``⁼``, the minus sign ``−``, any dash), and also in the part of a cell after a ``;``, ``,``
or tab when the file is opened with another separator than it was written with (``foo;=cmd|…`` in a French Excel
opening a comma-separated file).

``cell_safe`` puts an apostrophe (the spreadsheets' own "this is text" mark) before such a cell, and after every
``;``, ``,``, tab or line break inside it that such a part follows, since a reader that assumes another separator
(or loses track of the quotes) starts a cell there; ``csv_writer`` also quotes every cell.
``cell_unguard`` is its exact inverse, for the import: ``cell_unguard(cell_safe(v)) == v`` for every text ``v``,
so an exported file imports back unchanged (phone numbers start with ``+``).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from typing import Any, Protocol

GUARD = "'"
TRIGGERS = frozenset("=+-@")
LOOKALIKES = frozenset("\u2212\u2795\u2796\u2797\u02d6\u02d7")  # minus sign, heavy plus/minus/division, modifier ±
# Where a spreadsheet may start a new cell inside ours: another separator than the file's, or a line break, when
# it reads the file with other settings than it was written with.
_BOUNDARY = re.compile(r"([;,\t\r\n])")


def _ignored(char: str) -> bool:
    """Characters a spreadsheet may skip or trim before it decides what a cell is (counted generously: spaces,
    controls, invisible formatting, and unassigned or private-use code points)."""
    return char.isspace() or unicodedata.category(char)[0] in "CZ"


def _trigger(char: str) -> bool:
    if char in TRIGGERS or char in LOOKALIKES:
        return True
    if char.isascii():
        return False
    return unicodedata.normalize("NFKC", char)[:1] in TRIGGERS or unicodedata.category(char) == "Pd"


def _starts_a_formula(text: str) -> bool:
    """Would a cell starting with ``text`` run? A control or invisible character first counts (OWASP: tab, CR,
    NUL…), and so does a trigger after characters spreadsheets skip, up to the next separator. Apostrophes already
    there are data, looked through."""
    text = text.lstrip(GUARD)
    if not text:
        return False
    if unicodedata.category(text[0]) in ("Cc", "Cf"):
        return True
    for char in _BOUNDARY.split(text, maxsplit=1)[0]:
        if not _ignored(char):
            return _trigger(char)
    return False


def cell_safe(value: object) -> str:
    """``value`` as a cell no spreadsheet runs: an apostrophe before it, and after any separator or line break
    inside it, wherever what follows could be read as a formula.

    A part already starting with apostrophes gets one more when the rest needs the guard, so ``cell_unguard`` can
    always tell the guard from the data.
    """
    text = "" if value is None else str(value)
    pieces = _BOUNDARY.split(text)
    out = [GUARD if _starts_a_formula(text) else "", pieces[0]]
    for index in range(1, len(pieces), 2):
        piece = pieces[index + 1]
        out += [pieces[index], GUARD if _starts_a_formula(piece) else "", piece]
    return "".join(out)


def cell_unguard(cell: str) -> str:
    """The value ``cell_safe`` guarded (the import's side): each apostrophe the export added comes off."""
    if GUARD not in cell:
        return cell
    if cell[:1] == GUARD and _starts_a_formula(cell[1:]):
        cell = cell[1:]
    pieces = _BOUNDARY.split(cell)
    out = [pieces[0]]
    for index in range(1, len(pieces), 2):
        piece = pieces[index + 1]
        out += [pieces[index], piece[1:] if piece[:1] == GUARD and _starts_a_formula(piece[1:]) else piece]
    return "".join(out)


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def csv_writer(out: _Writable) -> Any:
    """The portal's CSV writer: every cell quoted, so no separator inside a cell ever splits it."""
    return csv.writer(out, quoting=csv.QUOTE_ALL)
