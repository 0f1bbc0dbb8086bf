"""The staff inbox: /office/ — everything waiting for staff, and the daily digest switch."""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membership import inbox
from membership.access import require_staff
from membership.forms_office import DigestForm


@login_required
def inbox_page(request):
    require_staff(request)
    items = inbox.inbox_items()
    total = inbox.inbox_total(items)
    # The navigation bar shows the total just counted (membership/context_processors.py).
    request.office_inbox_items = items
    inbox.remember_total(total)
    groups: dict[str, list[inbox.InboxItem]] = {}
    for item in items:
        groups.setdefault(item.app, []).append(item)
    return render(
        request,
        "membership/office/inbox.html",
        {
            "groups": [
                (apps.get_app_config(app).verbose_name, app, group) for app, group in groups.items()
            ],
            "total": total,
        },
    )


@login_required
@require_POST
def digest(request):
    require_staff(request)
    form = DigestForm(request.POST)
    form.is_valid()  # a BooleanField that is not required is always valid
    wanted = form.cleaned_data.get("staff_digest", False)
    if request.user.staff_digest != wanted:
        request.user.staff_digest = wanted
        request.user.save(update_fields=["staff_digest"])
    if wanted:
        messages.success(request, _("You will get the staff digest every morning."))
    else:
        messages.success(request, _("You will no longer get the staff digest."))
    return redirect("office:inbox")


# (name, view) routes of this part of the office; membership/urls.py gathers them.
member_urls: list = []
office_urls: list = [
    path("", inbox_page, name="inbox"),
    path("digest/", digest, name="digest"),
]
