"""Staff pages for saved message templates: list, create, edit (each with its language versions)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from campaigns.forms.templates import MessageTemplateForm
from campaigns.models import MessageTemplate
from campaigns.services.templates import kind_default_versions, message_template_save
from notifications.rendering import VARIABLES


@login_required
@permission_required("campaigns.view_messagetemplate", raise_exception=True)
def template_list(request: HttpRequest) -> HttpResponse:
    templates = list(MessageTemplate.objects.prefetch_related("versions").order_by("kind", "name"))
    # Which versions new notices start from: those marked, or a kind's only template in a language.
    defaults = {version.pk for kind in {t.kind for t in templates} for version in kind_default_versions(kind).values()}
    for template in templates:
        for version in template.versions.all():
            version.starts_notices = version.pk in defaults  # type: ignore[attr-defined]
    return render(request, "campaigns/templates/list.html", {"templates": templates})


def _edit(request: HttpRequest, template: MessageTemplate | None) -> HttpResponse:
    initial = MessageTemplateForm.initial_for(template) if template else {}
    form = MessageTemplateForm(request.POST or None, template=template, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = message_template_save(
            name=data["name"],
            kind=data["kind"],
            content=data["content"],
            sms_stop_line=data["sms_stop_line"],
            description=data["description"],
            template=template,
            defaults=data["defaults"],
            public_text=data["public_text"],
        )
        messages.success(request, f"Template “{saved.name}” saved.")
        return redirect("campaigns:templates")
    return render(
        request, "campaigns/templates/edit.html", {"form": form, "template": template, "variables": VARIABLES}
    )


@login_required
@permission_required("campaigns.add_messagetemplate", raise_exception=True)
def template_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
@permission_required("campaigns.change_messagetemplate", raise_exception=True)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(MessageTemplate, pk=pk))


urlpatterns = [
    path("templates/", template_list, name="templates"),
    path("templates/new/", template_create, name="template_new"),
    path("templates/<int:pk>/", template_edit, name="template_edit"),
]
