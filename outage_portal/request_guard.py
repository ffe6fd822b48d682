"""NUL characters taken out of addresses before any view: PostgreSQL stores no NUL.

A ``?q=%00`` that reached a search or a filter (the admin's lists, the notice list) would end in a database error,
a 500. No address of the portal has a use for NUL: it is removed from every query-string key and value, so the
page answers as if it had not been typed; a NUL in the path itself is a 400. Form bodies are not looked at here
(Django's form fields refuse NUL with a message beside the field).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict


class NulGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            return HttpResponseBadRequest("Bad request: NUL character in the address.", content_type="text/plain")
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
            cleaned._mutable = False
            request.GET = cleaned  # type: ignore[assignment]  # an immutable QueryDict, as Django's own
        return self.get_response(request)
