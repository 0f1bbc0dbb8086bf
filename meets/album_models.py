"""A meet's album: photos attendees add after the meet, which organisers moderate.

The files live under `albums/`, a private folder of MEDIA_ROOT (config/views.py
PRIVATE_MEDIA; not under `meets/`, whose cover images a deployment may let anyone read):
they are served only by `meets:album_photo`, which asks who may see the photo (a pending
one: its uploader and the meet's organisers; an approved one: whoever may see the meet's
album). Imported at the end of meets/models.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from meets.models import Meet
from register.models import Car

ALBUM_FOLDER = "albums/"


def _album_path(instance, filename):
    return f"{ALBUM_FOLDER}{instance.meet_id}/{filename}"


class AlbumPhotoQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(state=AlbumPhoto.State.APPROVED)

    def pending(self):
        return self.filter(state=AlbumPhoto.State.PENDING)


class AlbumPhoto(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the organisers")
        APPROVED = "approved", _("In the album")
        REJECTED = "rejected", _("Not accepted")

    meet = models.ForeignKey(
        Meet, on_delete=models.CASCADE, related_name="album_photos", verbose_name=_("meet")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    image = models.ImageField(
        _("image"), upload_to=_album_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_album_path)
    width = models.PositiveIntegerField(_("width"), null=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, editable=False)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    car = models.ForeignKey(
        Car,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="album_photos",
        verbose_name=_("car in the photo"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = AlbumPhotoQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("album photo")
        verbose_name_plural = _("album photos")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "approved", "rejected"]),
                name="meets_albumphoto_state_known",
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_at__isnull=False),
                name="meets_albumphoto_decided_when_not_pending",
                violation_error_message=_("A photo that was decided on needs the time of it."),
            ),
        ]
        indexes = [
            models.Index(fields=["meet", "state", "created_at"]),
            models.Index(fields=["meet", "uploaded_by"]),
            models.Index(fields=["car", "state"]),
        ]

    def __str__(self):
        return self.caption or gettext("Photo %(photo)s of %(meet)s") % {
            "photo": self.pk,
            "meet": self.meet_id,
        }

    def get_absolute_url(self):
        return reverse("meets:album_photo", args=[self.meet.slug, self.pk])

    @property
    def alt_text(self) -> str:
        return self.caption or gettext("A photo from the meet")

    @property
    def is_approved(self) -> bool:
        return self.state == self.State.APPROVED
