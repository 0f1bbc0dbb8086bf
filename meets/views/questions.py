"""The organiser's page of a meet's typed questions: add, change, remove and reorder them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from meets import services
from meets.access import get_meet_for_organiser
from meets.question_forms import QuestionFormSet


@login_required
@require_http_methods(["GET", "POST"])
def questions_edit(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    formset = QuestionFormSet(request.POST or None, meet=meet, prefix="questions")
    if request.method == "POST" and formset.is_valid():
        for form in formset.forms:
            form.instance.meet = meet
        try:
            services.questions_save(meet=meet, formset=formset)
        except services.RSVPError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The questions are saved."))
            return redirect("meets:questions", slug=meet.slug)
    return render(request, "meets/organiser/questions.html", {"meet": meet, "formset": formset})
