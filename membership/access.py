"""Who may open the office's pages: one helper per kind of object."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from membership.models import Invoice


def require_staff(request) -> None:
    """403 for anyone logged in who is not staff (views are @login_required first)."""
    if not request.user.is_staff:
        raise PermissionDenied(_("The club office is for staff."))


def get_invoice_for_member(request, number: str) -> Invoice:
    """The member's own invoice (staff: any). Anyone else's answers 404, as if none existed."""
    invoices = Invoice.objects.select_related("member", "membership__level", "level")
    if request.user.is_staff:
        return get_object_or_404(invoices, number=number)
    return get_object_or_404(invoices, number=number, member=request.user)
