"""WCAG 2.1 AA on the public pages' palette, computed from static/css/status.css itself: text and badges 4.5:1 at
least against what they sit on (1.4.3), the focus ring 3:1 against every background it can be drawn on (1.4.11)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

CSS = Path(settings.BASE_DIR) / "static" / "css" / "status.css"


def palette() -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;", CSS.read_text()))


def luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_reach_4_5_to_1_on_their_backgrounds():
    colours = palette()
    pairs = [
        ("ink", "page"),
        ("ink", "card"),
        ("muted", "page"),
        ("muted", "card"),
        ("link", "page"),
        ("link", "card"),
        *[("on-tone", f"tone-{tone}") for tone in ("outage", "monitoring", "maintenance", "ok")],
        ("on-tone", "muted"),  # a badge without a tone
        ("on-tone", "header"),  # the header's white text and language links
        ("header", "card"),  # the current language, dark on white
    ]
    ratios = {f"{text} on {background}": contrast(colours[text], colours[background]) for text, background in pairs}
    weak = {pair: round(ratio, 2) for pair, ratio in ratios.items() if ratio < 4.5}
    assert not weak, weak


def test_the_focus_ring_stands_out_on_every_background():
    colours = palette()
    for background in ("page", "card", "header", "link", "tone-outage"):
        best = max(contrast(colours[ring], colours[background]) for ring in ("focus", "focus-ring"))
        assert best >= 3, f"focus ring on {background}: {best:.2f}"
    assert "outline: 3px solid var(--focus)" in CSS.read_text()
    assert "box-shadow: 0 0 0 6px var(--focus-ring)" in CSS.read_text()
