"""A person's walk through the outage form in Chromium: every interaction counted the way issue 13 counts them
(clicks, ticks, typed fields, chosen options), the wall time, and the documentation's screenshots on request
(``WIZARD_SCREENSHOTS=1`` writes docs/img/wizard-*.png and docs/img/dashboard.png)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings

SHOTS = os.environ.get("WIZARD_SCREENSHOTS") == "1"
IMG = Path(settings.BASE_DIR) / "docs" / "img"


class Walk:
    """Counts what a person does; reading the page (locators, assertions) is never counted."""

    def __init__(self, page):
        self.page = page
        self.clicks = 0  # clicks on buttons and links
        self.ticks = 0  # boxes ticked
        self.fields = 0  # fields typed in
        self.choices = 0  # options chosen in a list
        self.log: list[str] = []
        self.started = time.monotonic()

    @property
    def interactions(self) -> int:
        return self.clicks + self.ticks + self.fields + self.choices

    def click(self, locator, what: str = ""):
        self.clicks += 1
        self.log.append(f"click {what}".strip())
        locator.click()

    def tick(self, locator, what: str = ""):
        self.ticks += 1
        self.log.append(f"tick {what}".strip())
        locator.check()

    def fill(self, locator, text, what: str = ""):
        self.fields += 1
        self.log.append(f"type {what}".strip())
        locator.fill(text)

    def choose(self, locator, value, what: str = ""):
        self.choices += 1
        self.log.append(f"choose {what}".strip())
        locator.select_option(value)

    def shot(self, name, *, prefix: str = "wizard-"):
        if SHOTS:
            IMG.mkdir(parents=True, exist_ok=True)
            # Grow the viewport to the whole page rather than full_page=True, which leaves srcdoc iframes blank.
            size = self.page.viewport_size
            height = self.page.evaluate("document.documentElement.scrollHeight")
            self.page.set_viewport_size({"width": size["width"], "height": height})
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(IMG / f"{prefix}{name}.png"))
            self.page.set_viewport_size(size)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def summary(self) -> str:
        return (
            f"{self.interactions} interactions ({self.clicks} clicks, {self.ticks} ticks, {self.fields} typed fields, "
            f"{self.choices} chosen options), {self.seconds:.1f} s"
        )
