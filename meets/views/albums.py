"""Meet albums: the album page, adding photos, the organisers' review, the photo files.

Every photo file goes through `photo_file`, never /media/: a pending photo exists only
for its uploader and the meet's organisers (404 for anyone else), and an approved one
for whoever may see the meet's album.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import privacy
from meets import albums
from meets.access import get_meet_for_organiser, get_meet_for_viewer, roles_at
from meets.album_forms import AlbumDecisionForm, AlbumPhotoEditForm, AlbumUploadForm
from meets.album_models import AlbumPhoto
from meets.cache import meets_cache
from meets.models import Meet
from meets.views.public import _stand_in, _viewer_kind


def _uploader_name(photo: AlbumPhoto, viewer, *, organiser: bool) -> str:
    if photo.uploaded_by is None:
        return _("A former member")
    as_ = privacy.Viewer.ORGANISER if organiser else None
    return privacy.name_for(photo.uploaded_by, viewer, as_=as_)


def _album_meet(request, slug: str) -> tuple[Meet, bool]:
    """The meet whose album the viewer may see, and whether they organise it."""
    meet = get_meet_for_viewer(request, slug)
    organiser = roles_at(request.user, meet).organiser
    if not albums.may_see_album(request.user, meet, organiser=organiser):
        if not request.user.is_authenticated:
            raise _LogIn
        raise PermissionDenied(_("This meet's album is for club members."))
    return meet, organiser


class _LogIn(Exception):
    pass


@require_GET
def album(request, slug: str):
    try:
        meet, organiser = _album_meet(request, slug)
    except _LogIn:
        return redirect_to_login(request.get_full_path())
    user = request.user
    mine = []
    pending = 0
    may_add = False
    acts = organiser  # buttons on photos in the grid: the organisers', an uploader's own
    if user.is_authenticated:
        may_add = albums.may_add(user, meet, organiser=organiser)
        own = list(AlbumPhoto.objects.filter(meet=meet, uploaded_by=user).select_related("car"))
        mine = [p for p in own if p.state != AlbumPhoto.State.APPROVED]
        acts = acts or any(p.state == AlbumPhoto.State.APPROVED for p in own)
        if organiser:
            pending = AlbumPhoto.objects.pending().filter(meet=meet).count()

    def grid(viewer) -> str:
        photos = list(albums.album_of(meet)[: albums.ALBUM_SHOWN])
        context = {
            "meet": meet,
            "photos": [(p, _uploader_name(p, viewer, organiser=organiser)) for p in photos],
            "organiser_view": organiser,
            "user": viewer,
        }
        return render_to_string("meets/albums/_grid.html", context, request)

    if acts:
        html = grid(user)
    else:
        # Everyone else of a kind sees the same grid: built once for a stand-in viewer
        # (accounts/privacy.py decides the names by kind), cached until the meet changes.
        kind = _viewer_kind(user)
        html = meets_cache.cached(
            f"meet:{meet.pk}:album:{kind}",
            lambda: grid(_stand_in(kind)),
            scopes=(f"meet:{meet.pk}",),
        )
    context = {
        "meet": meet,
        "grid": html,
        "mine": mine,
        "organiser_view": organiser,
        "may_add": may_add,
        "closed": albums.why_closed(meet),
        "pending_count": pending,
    }
    return render(request, "meets/albums/album.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def album_add(request, slug: str):
    meet = get_meet_for_viewer(request, slug)
    organiser = roles_at(request.user, meet).organiser
    if not albums.may_add(request.user, meet, organiser=organiser):
        raise PermissionDenied(_("Only the meet's attendees and organisers can add photos."))
    closed = albums.why_closed(meet)
    form = AlbumUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and closed:
        messages.error(request, closed)
        return redirect("meets:album", slug=meet.slug)
    if request.method == "POST" and form.is_valid():
        try:
            added = albums.album_photos_add(
                meet=meet,
                member=request.user,
                uploads=form.cleaned_data["photos"],
                caption=form.cleaned_data["caption"],
                car=form.cleaned_data["car"],
            )
        except albums.AlbumError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error("photos", exc)
        else:
            n = len(added)
            if organiser:
                text = ngettext(
                    "%(count)s photo added to the album.",
                    "%(count)s photos added to the album.",
                    n,
                )
            else:
                text = ngettext(
                    "Thank you: %(count)s photo added. It appears in the album once an "
                    "organiser has looked at it.",
                    "Thank you: %(count)s photos added. They appear in the album once an "
                    "organiser has looked at them.",
                    n,
                )
            messages.success(
                request,
                (text % {"count": n}) + " " + _("We removed their location and camera data."),
            )
            return redirect("meets:album", slug=meet.slug)
    context = {
        "meet": meet,
        "form": form,
        "closed": closed,
        "cars": albums.cars_at(meet),
    }
    return render(request, "meets/albums/add.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def album_review(request, slug: str):
    meet = get_meet_for_organiser(request, slug)
    if request.method == "POST":
        form = AlbumDecisionForm(request.POST, meet=meet)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == AlbumDecisionForm.APPROVE
            n = albums.album_photos_decide(
                meet=meet,
                photo_ids=[p.pk for p in form.cleaned_data["photos"]],
                approve=approve,
                by=request.user,
            )
            text = (
                ngettext(
                    "%(count)s photo added to the album.",
                    "%(count)s photos added to the album.",
                    n,
                )
                if approve
                else ngettext(
                    "%(count)s photo not accepted: it is not in the album.",
                    "%(count)s photos not accepted: they are not in the album.",
                    n,
                )
            )
            messages.success(request, text % {"count": n})
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        if request.POST.get("then") == "album":
            return redirect("meets:album", slug=meet.slug)
        return redirect("meets:album_review", slug=meet.slug)
    pending = list(
        AlbumPhoto.objects.pending()
        .filter(meet=meet)
        .select_related("car", "uploaded_by")
        .order_by("created_at", "id")
    )
    context = {
        "meet": meet,
        "pending": [(p, _uploader_name(p, request.user, organiser=True)) for p in pending],
    }
    return render(request, "meets/albums/review.html", context)


def _photo_for(request, slug: str, pk: int) -> tuple[AlbumPhoto, bool]:
    """A photo of the meet the viewer may see, and whether they organise the meet.

    404 for a photo they may not see: a pending one is nobody else's business.
    """
    meet = get_meet_for_viewer(request, slug)
    photo = get_object_or_404(AlbumPhoto, meet=meet, pk=pk)
    photo.meet = meet
    organiser = roles_at(request.user, meet).organiser
    if photo.is_approved:
        if albums.may_see_album(request.user, meet, organiser=organiser):
            return photo, organiser
    elif albums.may_manage(request.user, photo, organiser=organiser):
        return photo, organiser
    raise Http404(_("No such photo."))


def _file(field, *, public: bool) -> FileResponse:
    try:
        opened = field.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404(_("No such photo.")) from None
    response = FileResponse(opened, content_type="image/jpeg")
    # An approved photo may be kept by the browser; a pending one is never stored.
    response["Cache-Control"] = "private, max-age=3600" if public else "private, no-store"
    return response


@require_GET
def photo_file(request, slug: str, pk: int):
    photo, _organiser = _photo_for(request, slug, pk)
    return _file(photo.image, public=photo.is_approved)


@require_GET
def thumb_file(request, slug: str, pk: int):
    photo, _organiser = _photo_for(request, slug, pk)
    return _file(photo.thumbnail, public=photo.is_approved)


def _photo_to_change(request, slug: str, pk: int) -> tuple[AlbumPhoto, bool]:
    """A photo its uploader or the meet's organisers may change: 404 to anyone else who
    may not see it, 403 to those who may see it in the album."""
    photo, organiser = _photo_for(request, slug, pk)
    if not albums.may_manage(request.user, photo, organiser=organiser):
        raise PermissionDenied(_("Only the photo's uploader and the organisers can change it."))
    return photo, organiser


@login_required
@require_http_methods(["GET", "POST"])
def photo_edit(request, slug: str, pk: int):
    photo, organiser = _photo_to_change(request, slug, pk)
    if photo.is_approved and not organiser:
        raise PermissionDenied(_("Photos in the album are changed by the meet's organisers."))
    initial = {
        "caption": photo.caption,
        "car": photo.car.plaque_number if photo.car and photo.car.plaque_number else "",
    }
    form = AlbumPhotoEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        albums.album_photo_retag(
            photo=photo, caption=form.cleaned_data["caption"], car=form.cleaned_data["car"]
        )
        messages.success(request, _("Photo saved."))
        return redirect("meets:album", slug=photo.meet.slug)
    context = {
        "meet": photo.meet,
        "photo": photo,
        "form": form,
        "cars": albums.cars_at(photo.meet),
    }
    return render(request, "meets/albums/edit.html", context)


@login_required
@require_POST
def photo_delete(request, slug: str, pk: int):
    photo, _organiser = _photo_to_change(request, slug, pk)
    albums.album_photo_delete(photo=photo)
    messages.success(request, _("Photo deleted."))
    return redirect("meets:album", slug=slug)


def car_album_section(request, car) -> str:
    """ "Seen at meets": approved album photos naming `car`, for its page in the register.

    The car's page is shared by every visitor of a kind (register/views/public.py), so only
    photos from albums anyone may see are shown: none of members-only meets.
    """
    photos = albums.seen_at_meets(car)
    if not photos:
        return SafeString()
    return render_to_string("meets/albums/_car_strip.html", {"photos": photos}, request)
