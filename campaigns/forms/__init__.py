"""One form per step of the outage form, plus the template pages' forms."""
