"""The placeholder language in bounded time and memory: linear parsing, length limits on every message field.

A 160 KB SMS text made of ``{{`` held a web process for about 110 s (issue 12): the parser looked for the closing
``}}`` from every ``{{`` again, and counted lines from the start for each placeholder.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.content import FIELD_MAX_LENGTHS, content_errors, field_max_length
from notifications.rendering import MAX_SOURCE_LENGTH, VARIABLES, TemplateError, compile_template


def _elapsed(source: str) -> float:
    started = time.perf_counter()
    try:
        compile_template(source)
    except TemplateError:
        pass
    return time.perf_counter() - started


@pytest.mark.parametrize(
    "source",
    [
        "{{" * 100_000,  # 200 KB of openers: the reported case
        "{{ client_name }}\n" * 11_000,  # 200 KB of valid placeholders, one per line
        "{{ client_name }}" + "}}{{ x" * 33_000,  # stray closers and openers
        "{{ client_name|" + "upper|" * 33_000 + "lower }}",  # one placeholder with a huge filter chain
    ],
    ids=["openers", "placeholders", "mixed", "filters"],
)
def test_200_kb_of_template_text_parses_in_well_under_a_second(source: str) -> None:
    """Linear parsing: 200 KB of any text is accepted or refused in milliseconds (the bound is generous)."""
    assert len(source) >= 190_000
    assert _elapsed(source) < 1.0


def test_the_parser_refuses_more_than_it_should_ever_read() -> None:
    """Whatever calls it, the parser stops at MAX_SOURCE_LENGTH with a message that says the limit."""
    with pytest.raises(TemplateError, match=f"{MAX_SOURCE_LENGTH:,}"):
        compile_template("a" * (MAX_SOURCE_LENGTH + 1))
    assert compile_template("a" * MAX_SOURCE_LENGTH).render({}) == "a" * MAX_SOURCE_LENGTH


@pytest.mark.parametrize("argument", ["9" * 5000, "١٢", "²", "99999999"])
def test_truncate_takes_a_small_plain_number(argument: str) -> None:
    """A huge or non-ASCII number in truncate is refused when the template is checked, never at send time."""
    with pytest.raises(TemplateError, match="truncate"):
        compile_template(f"{{{{ client_name|truncate:{argument} }}}}")
    assert compile_template("{{ client_name|truncate:5 }}").render({"client_name": "abcdefgh"}) == "abcd…"


# The language as it was specified (the regular-expression parser): the linear parser must agree with it.
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def _reference_outcome(source: str) -> object:
    """What the original parser did: the text parts and placeholders, or the line of the first fault."""
    for marker in ("{%", "{#"):
        if marker in source:
            return ("error", source.count("\n", 0, source.find(marker)) + 1)
    parts: list[object] = []
    cursor = 0
    for match in _PLACEHOLDER.finditer(source):
        if match.start() > cursor:
            parts.append(source[cursor : match.start()])
        try:
            parts.append(("placeholder", repr(compile_template(match.group(0)).parts[0])))
        except TemplateError:
            return ("error", source.count("\n", 0, match.start()) + 1)
        cursor = match.end()
    tail = source[cursor:]
    for marker in ("{{", "}}"):
        if marker in tail:
            return ("error", source.count("\n", 0, cursor + tail.find(marker)) + 1)
    if tail:
        parts.append(tail)
    return parts


def _outcome(source: str) -> object:
    try:
        compiled = compile_template(source)
    except TemplateError as error:
        return ("error", int(re.match(r"Line (\d+):", str(error)).group(1)))
    return [part if isinstance(part, str) else ("placeholder", repr(part)) for part in compiled.parts]


_PIECES = st.sampled_from(
    ["{{", "}}", "{", "}", "|", "\n", " ", "client_name", "upper", 'default:"x"', "truncate:3", "{%", "{#", "a", "é"]
)
_SOURCES = st.lists(_PIECES, max_size=30).map("".join) | st.text(max_size=60)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SOURCES)
def test_the_linear_parser_agrees_with_the_specification(source: str) -> None:
    """Same parts, same placeholders, same first fault and line as the original regular-expression parser."""
    assert _outcome(source) == _reference_outcome(source)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.dictionaries(st.sampled_from(sorted(VARIABLES)), st.text(max_size=50)))
def test_any_text_compiles_or_is_refused_and_renders_without_error(source: str, context: dict[str, str]) -> None:
    """No other exception than TemplateError, and a compiled template always renders (plain and HTML)."""
    try:
        compiled = compile_template(source)
    except TemplateError:
        return
    compiled.render(context)
    compiled.render(context, escape_html=True)


@pytest.mark.parametrize(("channel", "part"), [(c, p) for c, parts in FIELD_MAX_LENGTHS.items() for p in parts])
def test_every_message_field_has_a_length_limit_with_a_clear_message(channel: str, part: str, settings) -> None:
    """content_errors (the one check the outage form, the API and notify use) refuses a field over its limit."""
    settings.INFOBIP_VIBER_SENDER = "OutageInfo"  # Viber and WhatsApp are accepted only once configured
    settings.INFOBIP_WHATSAPP_SENDER = "447491163862"
    settings.VAPID_PRIVATE_KEY, settings.FCM_PROJECT_ID = "k", "p"  # push likewise
    limit = field_max_length(channel, part)
    fields = {
        "sms": {"text": "Hello"},
        "email": {"subject": "Hi", "text": "Hello", "html": "<p>Hello</p>"},
        "viber": {"text": "Hello"},
        "whatsapp": {"template": "outage_notice", "placeholders": "{{ client_name }}", "text": ""},
        "webpush": {"title": "Outage", "text": "Hello"},
        "apppush": {"title": "Outage", "text": "Hello"},
    }
    fields[channel][part] = "x" * (limit + 1)
    errors = content_errors({"en": fields}, [channel])
    assert errors == {f"en.{channel}.{part}": errors[f"en.{channel}.{part}"]}
    assert f"{limit:,}" in errors[f"en.{channel}.{part}"] and f"{limit + 1:,}" in errors[f"en.{channel}.{part}"]
    fields[channel][part] = "x" * limit
    assert content_errors({"en": fields}, [channel]) == {}


def test_content_errors_stay_fast_on_huge_content() -> None:
    """A field of several megabytes is refused for its length without being parsed."""
    started = time.perf_counter()
    errors = content_errors({"en": {"sms": {"text": "{{" * 2_000_000}}}, ["sms"])
    assert "en.sms.text" in errors and time.perf_counter() - started < 1.0
