"""The restricted placeholder language every message is written in, and SMS part counting.

Django's template engine is not safe against template authors (attribute walking, tags, filters that reach the
database), so messages use a language of their own: ``{{ name }}`` and ``{{ name|filter }}`` with names from
``VARIABLES`` (the client's own fields among them) or ``attributes.<key>`` (one of the client's attributes), and
filters from ``FILTERS``, e.g. ``{{ attributes.site | default:"your site" }}``; nothing else. A template is compiled once (per send and language)
and rendered per recipient. Compilation fails with a ``TemplateError`` that says what is wrong and where, so the
outage form shows the error at the Message step and never at send time.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

# Variables a template may use, with the description the outage form shows.
VARIABLES: dict[str, str] = {
    "client_name": "The client's name",
    "account": "The client's account or company",
    "external_ref": "The client's reference",
    "region": "The client's service area or region",
    "plan": "The client's plan",
    "network": "The client's network provider",
    "incident_title": "The incident's title",
    "service": "The affected services",
    "started_at": "When the incident started",
    "expected_resolution": "The expected resolution time",
    "severity": "The incident's severity",
    "status_page": "The status page address",
    "incident_link": "The short link to the incident's public page",
    "preferences_url": "The client's preference page (signed link)",
    "unsubscribe_url": "One-click unsubscribe (signed link)",
}


def _default(value: str, argument: str | None) -> str:
    return value if value not in ("", None) else (argument or "")


def _truncate(value: str, argument: str | None) -> str:
    limit = int(argument) if argument and argument.isascii() and argument.isdigit() and len(argument) <= 5 else 0
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + "…"


FILTERS: dict[str, Callable[[str, str | None], str]] = {
    "upper": lambda value, _arg: value.upper(),
    "lower": lambda value, _arg: value.lower(),
    "title": lambda value, _arg: value.title(),
    "default": _default,
    "truncate": _truncate,
}
FILTERS_WITH_ARGUMENT = {"default", "truncate"}

MAX_SOURCE_LENGTH = 200_000  # characters of one template, whoever calls the parser (fields have smaller limits)
MAX_TRUNCATE = 10_000
MAX_FILTERS = 10  # per placeholder: each runs once per recipient
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# One of the client's attributes: ``attributes.site``; keys as the registry allows them (clients.audience).
ATTRIBUTE_PREFIX = "attributes."
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_FILTER = re.compile(r'^([a-z_]+)(?::"([^"]*)"|:([0-9]+))?$')


class TemplateError(ValueError):
    """A template that cannot be compiled; the message says what and where."""


@dataclass(frozen=True)
class _Placeholder:
    name: str
    filters: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class CompiledTemplate:
    parts: tuple[str | _Placeholder, ...]

    @property
    def variables(self) -> set[str]:
        return {part.name for part in self.parts if isinstance(part, _Placeholder)}

    @property
    def attributes(self) -> set[str]:
        """The client attribute keys the template reads (``attributes.site`` → ``site``)."""
        return {name[len(ATTRIBUTE_PREFIX) :] for name in self.variables if name.startswith(ATTRIBUTE_PREFIX)}

    def render(self, context: Mapping[str, object], *, escape_html: bool = False) -> str:
        """Fill in the placeholders. With ``escape_html``, values are escaped and the author's markup is kept."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = context.get(part.name)
            text = "" if value is None else str(value)
            for name, argument in part.filters:
                text = FILTERS[name](text, argument)
            out.append(html.escape(text) if escape_html else text)
        return "".join(out)


class _Lines:
    """Line numbers of increasing positions, counting each newline once (the parser asks in source order)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.position = 0
        self.line = 1

    def at(self, index: int) -> int:
        if index < self.position:  # never happens in source order; stay correct anyway
            return self.source.count("\n", 0, index) + 1
        self.line += self.source.count("\n", self.position, index)
        self.position = index
        return self.line


def _attribute(name: str, line: int, attribute_names: Collection[str] | None) -> None:
    key = name[len(ATTRIBUTE_PREFIX) :]
    if not _ATTRIBUTE_KEY.match(key):
        raise TemplateError(f"Line {line}: '{name[:80]}' — an attribute name has letters, digits and _ only.")
    if attribute_names is not None and key not in attribute_names:
        known = ", ".join(sorted(attribute_names)[:20]) or "none yet"
        raise TemplateError(f"Line {line}: no client has the attribute '{key}'. Attributes in the registry: {known}.")


def _placeholder(
    inner: str, line: int, allowed: Mapping[str, str], attribute_names: Collection[str] | None = None
) -> _Placeholder:
    pieces = [piece.strip() for piece in inner.split("|")]
    name = pieces[0]
    if not name:
        raise TemplateError(f"Line {line}: empty placeholder {{{{ }}}}.")
    if name.startswith(ATTRIBUTE_PREFIX):
        _attribute(name, line, attribute_names)
    elif "." in name or "[" in name:
        raise TemplateError(
            f"Line {line}: '{name[:80]}' — attribute access is not allowed; use a plain variable, or "
            "attributes.<name> for one of the client's attributes."
        )
    elif not _NAME.match(name):
        raise TemplateError(f"Line {line}: '{name[:80]}' is not a valid variable name.")
    elif name not in allowed:
        known = ", ".join(sorted(allowed))
        raise TemplateError(f"Line {line}: unknown variable '{name[:80]}'. Available: {known}, attributes.<name>.")
    if len(pieces) - 1 > MAX_FILTERS:
        raise TemplateError(f"Line {line}: at most {MAX_FILTERS} filters in one placeholder.")
    filters: list[tuple[str, str | None]] = []
    for raw in pieces[1:]:
        found = _FILTER.match(raw)
        if not found or found.group(1) not in FILTERS:
            shown = raw if len(raw) <= 80 else raw[:80] + "…"
            raise TemplateError(f"Line {line}: filter '{shown}' is not allowed. Allowed: {', '.join(sorted(FILTERS))}.")
        filter_name, quoted, number = found.groups()
        argument = quoted if quoted is not None else number
        if filter_name in FILTERS_WITH_ARGUMENT and argument is None:
            raise TemplateError(f"Line {line}: filter '{filter_name}' needs an argument, e.g. {filter_name}:\"…\".")
        if filter_name == "truncate" and (number is None or len(number) > 5 or int(number) > MAX_TRUNCATE):
            raise TemplateError(f"Line {line}: truncate takes a number up to {MAX_TRUNCATE:,}, e.g. truncate:40.")
        filters.append((filter_name, argument))
    return _Placeholder(name=name, filters=tuple(filters))


def compile_template(
    source: str, *, allowed: Mapping[str, str] | None = None, attribute_names: Collection[str] | None = None
) -> CompiledTemplate:
    """Compile ``source``, or raise ``TemplateError`` naming the line and the fault.

    ``attribute_names``, when given, are the only ``attributes.<key>`` a template may read (the forms pass the keys
    the registry holds, so a misspelt attribute is an error beside the field); workers pass none: any key renders,
    empty (or its ``default``) for a client without it.

    One pass from left to right: each ``{{`` is closed by the first ``}}`` after it, every character is looked at a
    bounded number of times, and line numbers are counted as the scan goes, so time and memory grow linearly with
    the text (``MAX_SOURCE_LENGTH`` at most).
    """
    allowed = VARIABLES if allowed is None else allowed
    source = source or ""
    if len(source) > MAX_SOURCE_LENGTH:
        raise TemplateError(f"The text is {len(source):,} characters long; the limit is {MAX_SOURCE_LENGTH:,}.")
    lines = _Lines(source)
    for marker, what in (("{%", "tags ({% … %})"), ("{#", "comments ({# … #})")):
        position = source.find(marker)
        if position >= 0:
            raise TemplateError(f"Line {lines.at(position)}: {what} are not allowed; use {{{{ variable }}}}.")
    parts: list[str | _Placeholder] = []
    cursor = 0
    while True:
        start = source.find("{{", cursor)
        end = source.find("}}", start + 2) if start >= 0 else -1
        if end < 0:
            break
        parts.append(source[cursor:start])
        parts.append(_placeholder(source[start + 2 : end], lines.at(start), allowed, attribute_names))
        cursor = end + 2
    tail = source[cursor:]
    for marker in ("{{", "}}"):
        position = tail.find(marker)
        if position >= 0:
            raise TemplateError(f"Line {lines.at(cursor + position)}: unmatched '{marker}'.")
    parts.append(tail)
    return CompiledTemplate(parts=tuple(part for part in parts if part != ""))


# SMS encoding -------------------------------------------------------------------------------------------------
# GSM 03.38 basic set and the extension table (each extension character costs two septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int
    per_part: int


_NOT_GSM7 = re.compile("[^" + re.escape("".join(sorted(GSM7_BASIC | GSM7_EXTENSION))) + "]")
_GSM7_EXTENSION_RE = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENSION))) + "]")


def sms_count(text: str) -> SmsCount:
    """How many SMS parts ``text`` costs: GSM-7 160/153, UCS-2 70/67; one non-GSM character makes it UCS-2."""
    # Two compiled character classes instead of a Python loop per character: this runs once per SMS sent.
    if _NOT_GSM7.search(text) is None:
        length = len(text) + len(_GSM7_EXTENSION_RE.findall(text))
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if length == 0:
        return SmsCount(encoding, 0, 0, single)
    if length <= single:
        return SmsCount(encoding, length, 1, single)
    return SmsCount(encoding, length, -(-length // multi), multi)
