"""Widgets and fields shared by the outage form's steps."""

from __future__ import annotations

from typing import Any

from django import forms

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A browser date-time picker; the value is read and shown in the active (the author's) time zone."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT))
        kwargs.setdefault("input_formats", [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)


def plain_newlines(text: str) -> str:
    """Browsers send a textarea's line breaks as CRLF; messages keep LF, so an untouched text is not an edit."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class MessageTextField(forms.CharField):
    """A message field: its text as written (not stripped), with plain line breaks."""

    def to_python(self, value: Any) -> str:
        return plain_newlines(super().to_python(value) or "")
