"""Requests no page can serve, refused before any view: a NUL character in the path or the query string.

PostgreSQL stores no NUL character, so a ``?q=%00`` that reaches a search or a filter (the admin's lists, the
notice list) would end in a database error, a 500. No URL of the portal has a use for NUL: it is answered 400.
Form bodies are not looked at here (Django's form fields refuse NUL with a message beside the field).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class NulGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest("Bad request: NUL character in the address.", content_type="text/plain")
        return self.get_response(request)
