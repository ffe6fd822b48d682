"""The outage form: one plain view per step, bound to a draft Campaign saved in the database from the first step.

Each step reads its form, calls one draft service, and redirects (Save and continue, Back, or straight back to the
preview). A step the author has not reached yet redirects to the furthest one reached, so steps cannot be skipped;
a notice that has left the draft state sends every step to its campaign page. Live parts (audience counts, the
preview's recipient search, test delivery statuses) are small htmx partials; every form also works without
JavaScript.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import path, re_path

from campaigns.services import steps
from campaigns.views.wizard.base import NewNoticeView, StepView
from campaigns.views.wizard.build import AudienceStepView, IncidentStepView, MessageStepView, WhenStepView
from campaigns.views.wizard.partials import AudienceCountsView, PreviewRecipientsView, TestStatusView
from campaigns.views.wizard.review import PreviewStepView, SendStepView, TestStepView

STEP_VIEWS: dict[str, type[StepView]] = {
    "incident": IncidentStepView,
    "audience": AudienceStepView,
    "message": MessageStepView,
    "when": WhenStepView,
    "preview": PreviewStepView,
    "test": TestStepView,
    "send": SendStepView,
}
_STEP_CALLABLES: dict[str, Callable[..., HttpResponseBase]] = {
    step: view.as_view() for step, view in STEP_VIEWS.items()
}


def wizard_step(request: HttpRequest, pk: str, step: str) -> HttpResponseBase:
    return _STEP_CALLABLES[step](request, pk=int(pk))


_STEP_PATTERN = "|".join(steps.STEPS)
urlpatterns = [
    path("new/", NewNoticeView.as_view(), name="new"),
    re_path(rf"^(?P<pk>[0-9]+)/wizard/(?P<step>{_STEP_PATTERN})/$", wizard_step, name="wizard"),
    path("<int:pk>/wizard/counts/", AudienceCountsView.as_view(), name="wizard_counts"),
    path("<int:pk>/wizard/recipients/", PreviewRecipientsView.as_view(), name="wizard_recipients"),
    path("<int:pk>/wizard/test-status/", TestStatusView.as_view(), name="wizard_test_status"),
]
