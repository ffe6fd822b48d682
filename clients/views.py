"""Customer-facing views (owned by the customers work: unsubscribe, preferences, sign-up)."""

from django.http import HttpRequest, HttpResponse


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(status=501)


def preferences(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(status=501)
