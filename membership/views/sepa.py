"""Direct debit: a member's mandate page, and the staff's collections and returns.

Member pages need a login; who may give a mandate is decided by `sepa.mandate_refusal`,
and everyone else is shown why (no form that would only answer 403). The office pages
are for staff only (403 for every other account).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from membership import sepa
from membership.access import require_staff
from membership.forms_sepa import (
    CollectionForm,
    DebitReturnForm,
    MandateForm,
    MandateRevokeForm,
)
from membership.models import Collection, CollectionItem, Mandate
from membership.money import format_cents, grouped

COLLECTIONS_PER_PAGE = 25


# --- The member's mandate ----------------------------------------------------------------


def _mandate_text() -> str:
    creditor = settings.PADDOCK_BANK_ACCOUNT_HOLDER
    return _(
        "By signing this mandate form, you authorise (A) %(creditor)s to send instructions "
        "to your bank to debit your account and (B) your bank to debit your account in "
        "accordance with the instructions from %(creditor)s. As part of your rights, you "
        "are entitled to a refund from your bank under the terms and conditions of your "
        "agreement with your bank. A refund must be claimed within 8 weeks starting from "
        "the date on which your account was debited. Your rights are explained in a "
        "statement that you can obtain from your bank."
    ) % {"creditor": creditor}


@login_required
@require_http_methods(["GET", "POST"])
def mandate(request):
    member = request.user
    active = Mandate.objects.filter(member=member, status=Mandate.Status.ACTIVE).first()
    refusal = sepa.mandate_refusal(member)
    form = None
    if request.method == "POST":
        if refusal:
            raise PermissionDenied(refusal)
        form = MandateForm(request.POST)
        if form.is_valid():
            try:
                given = sepa.mandate_create(
                    member=member,
                    account_holder=form.cleaned_data["account_holder"],
                    iban=form.cleaned_data["iban"],
                    bic=form.cleaned_data["bic"],
                )
            except sepa.SepaError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Thank you: your mandate %(reference)s is in place.")
                    % {"reference": given.reference},
                )
                return redirect("membership:mandate")
    elif refusal is None and (active is None or request.GET.get("change")):
        form = MandateForm(initial={"account_holder": member.display_name})
    context = {
        "mandate": active,
        "iban": grouped(active.iban) if active else "",
        "refusal": refusal,
        "form": form,
        "creditor_name": settings.PADDOCK_BANK_ACCOUNT_HOLDER,
        "creditor_id": settings.PADDOCK_SEPA_CREDITOR_ID,
        "prenotification_days": settings.PADDOCK_SEPA_PRENOTIFICATION_DAYS,
        "mandate_text": _mandate_text(),
    }
    if form is not None:
        context["next_reference"] = sepa.mandate_reference_next(member)
    return render(request, "membership/mandate.html", context)


@login_required
@require_POST
def mandate_revoke(request):
    form = MandateRevokeForm(request.POST)
    active = Mandate.objects.filter(member=request.user, status=Mandate.Status.ACTIVE).first()
    if active is None or not form.is_valid() or form.cleaned_data["reference"] != active.reference:
        messages.info(request, _("That mandate is no longer active: nothing was changed."))
        return redirect("membership:mandate")
    sepa.mandate_revoke(mandate=active)
    messages.success(
        request,
        _(
            "Your mandate %(reference)s is revoked: the club will make no new debits with "
            "it. Please pay your dues by bank transfer, or give a new mandate."
        )
        % {"reference": active.reference},
    )
    return redirect("membership:mandate")


# --- The office: collections ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def collections(request):
    require_staff(request)
    problem = sepa.creditor_problem()
    if request.method == "POST":
        form = CollectionForm(request.POST)
        if form.is_valid() and not problem:
            try:
                collection = sepa.collection_export(
                    collection_date=form.cleaned_data["collection_date"],
                    created_by=request.user,
                )
            except sepa.SepaError as error:
                form.add_error(None, str(error))
            else:
                count = collection.items.count()
                messages.success(
                    request,
                    ngettext(
                        "Exported %(count)s debit of %(total)s in total; the member was sent "
                        "the pre-notification. Download the file and upload it to the bank.",
                        "Exported %(count)s debits of %(total)s in total; the members were "
                        "sent the pre-notification. Download the file and upload it to the "
                        "bank.",
                        count,
                    )
                    % {"count": count, "total": format_cents(collection.total_cents)},
                )
                return redirect("office:collection", pk=collection.pk)
    elif "collection_date" in request.GET:
        form = CollectionForm(request.GET)
    else:
        form = CollectionForm(initial={"collection_date": sepa.earliest_collection_date()})

    preview = None
    if form.is_bound and form.is_valid():
        day = form.cleaned_data["collection_date"]
    elif not form.is_bound:
        day = form.initial["collection_date"]
    else:
        day = None
    if day is not None:
        figures = sepa.collection_preview(day)
        preview = {
            "date": day,
            "count": figures.count,
            "total": format_cents(figures.total_cents),
        }

    exported = (
        Collection.objects.select_related("created_by")
        .annotate(
            debits=Count("items"),
            returned=Count("items", filter=Q(items__status=CollectionItem.Status.RETURNED)),
        )
        .defer("xml")
        .order_by("-collection_date", "-pk")
    )
    page = Paginator(exported, COLLECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    for collection in page:
        collection.total = format_cents(collection.total_cents)
    return render(
        request,
        "membership/office/collections.html",
        {"form": form, "preview": preview, "problem": problem, "page": page},
    )


def _collection_for_staff(request, pk: int) -> Collection:
    require_staff(request)
    return get_object_or_404(Collection.objects.select_related("created_by"), pk=pk)


@login_required
def collection(request, pk: int):
    collection = _collection_for_staff(request, pk)
    items = list(collection.items.select_related("invoice__member", "mandate").order_by("pk"))
    form = DebitReturnForm(initial={"returned_on": timezone.localdate()})
    for item in items:
        item.amount = format_cents(item.amount_cents)
        item.iban = grouped(item.mandate.iban)
        item.reason = sepa.return_reason_label(item.return_reason) if item.return_reason else ""
    return render(
        request,
        "membership/office/collection.html",
        {
            "collection": collection,
            "items": items,
            "total": format_cents(collection.total_cents),
            "returned_total": format_cents(
                sum(i.amount_cents for i in items if i.status == CollectionItem.Status.RETURNED)
            ),
            "return_form": form,
        },
    )


@login_required
def collection_file(request, pk: int):
    collection = _collection_for_staff(request, pk)
    response = HttpResponse(collection.xml, content_type="application/xml; charset=utf-8")
    filename = f"pain008-{collection.collection_date.isoformat()}-{collection.pk}.xml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def debit_return(request, pk: int):
    require_staff(request)
    item = get_object_or_404(CollectionItem.objects.select_related("collection", "invoice"), pk=pk)
    back = reverse("office:collection", args=[item.collection_id]) + f"#debit-{item.pk}"
    if item.status == CollectionItem.Status.RETURNED:
        messages.info(
            request,
            _("The return of debit %(id)s was recorded already; nothing was changed.")
            % {"id": item.end_to_end_id},
        )
        return redirect(back)
    form = DebitReturnForm(request.POST, item=item)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    sepa.debit_return_record(
        item=item,
        returned_on=form.cleaned_data["returned_on"],
        reason=form.cleaned_data["reason"],
        recorded_by=request.user,
    )
    messages.success(
        request,
        _(
            "Debit %(id)s is recorded as returned: invoice %(number)s is open again and the "
            "member was told how to pay."
        )
        % {"id": item.end_to_end_id, "number": item.invoice.number},
    )
    return redirect(back)


member_urls: list = [
    path("mandate/", mandate, name="mandate"),
    path("mandate/revoke/", mandate_revoke, name="mandate_revoke"),
]
office_urls: list = [
    path("sepa/", collections, name="collections"),
    path("sepa/<int:pk>/", collection, name="collection"),
    path("sepa/<int:pk>/pain008.xml", collection_file, name="collection_file"),
    path("sepa/debits/<int:pk>/return/", debit_return, name="debit_return"),
]
