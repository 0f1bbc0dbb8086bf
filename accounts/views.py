import json

from allauth.account import app_settings as allauth_settings
from allauth.account import views as allauth_views
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import DIRECTORY, require_member_right
from accounts.forms import DeleteAccountForm, LanguageForm, ProfileForm
from accounts.models import User
from accounts.services import member_delete, member_export_data
from config.lib.urls import safe_next

DIRECTORY_PAGE_SIZE = 30


@login_required
def profile(request):
    return render(
        request,
        "accounts/profile.html",
        {"member": request.user, "panels": _profile_panels(request)},
    )


def _profile_panels(request) -> list[str]:
    """HTML panels other apps add to the profile (the club office: dues and the card).

    Each app offers one through a `profile_panel(request)` method on its AppConfig, so
    accounts imports none of them. A panel is rendered HTML (a SafeString); plain text
    would be escaped.
    """
    panels = []
    for config in apps.get_app_configs():
        hook = getattr(config, "profile_panel", None)
        if callable(hook):
            html = hook(request)
            if html:
                panels.append(html)
    return panels


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    member = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=member)
        if form.is_valid():
            with transaction.atomic():
                # The photo the row names now, read under the row's lock: a second
                # submit saved at the same moment must not leave its file behind.
                old_avatar = (
                    User.objects.select_for_update()
                    .filter(pk=member.pk)
                    .values_list("avatar", flat=True)
                    .get()
                )
                form.save()
            if old_avatar and old_avatar != member.avatar.name:
                member.avatar.storage.delete(old_avatar)
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
        messages.error(request, _("Please correct the errors below."))
    else:
        form = ProfileForm(instance=member)
    return render(request, "accounts/profile_form.html", {"form": form})


@login_required
def data_export(request):
    data = member_export_data(member=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="paddock-my-data-{stamp}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        member_delete(member=request.user)
        logout(request)
        messages.success(request, _("Your account has been deleted. Thank you for being a member."))
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})


@login_required
def directory(request):
    require_member_right(request, DIRECTORY, what=_("The members' directory"))
    members = User.objects.in_directory().order_by("display_name", "membership_number")
    # No NUL: PostgreSQL refuses it in a query.
    query = " ".join(request.GET.get("q", "").replace("\x00", "").split())[:80]
    if query:
        members = members.filter(
            Q(display_name__icontains=query) | Q(city__icontains=query, show_location=True)
        )
    page = Paginator(members, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/directory.html", {"page": page, "query": query})


@login_required
def member_detail(request, number: int):
    require_member_right(request, DIRECTORY, what=_("The members' directory"))
    member = get_object_or_404(User.objects.in_directory(), membership_number=number)
    return render(request, "accounts/member_detail.html", {"member": member})


@require_POST
def set_language(request):
    """The language switcher: remembered in a cookie, and on the profile of a member."""
    form = LanguageForm(request.POST)
    # Back to the page the switch was on: a local path only, never a URL name or another site.
    response = HttpResponseRedirect(safe_next(request.POST.get("next"), default=reverse("home")))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's confirmation page, which also knows a link that was already used.

    allauth finds a confirmation only for an address that is not yet verified, so a link
    clicked twice said it had "expired or is invalid". A link whose signature is good and
    whose address is verified was used before: the page says so and offers to log in.
    """

    def post(self, *args, **kwargs):
        if self._already_confirmed():
            return self.get(*args, **kwargs)  # the form sent twice (or a second tab)
        return super().post(*args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.object:
            context["already_confirmed"] = self._already_confirmed()
            context["login_url"] = reverse("account_login")
            context["profile_url"] = reverse("accounts:profile")
        return context

    def _already_confirmed(self) -> bool:
        try:
            pk = signing.loads(
                self.kwargs["key"],
                max_age=60 * 60 * 24 * allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
                salt=allauth_settings.SALT,
            )
        except signing.BadSignature:  # SignatureExpired too
            return False
        return EmailAddress.objects.filter(pk=pk, verified=True).exists()
