from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts import privacy
from config.lib.history import HistoricalRecords


class MemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(membership_status=User.Status.ACTIVE, is_active=True)

    def in_directory(self):
        """Active members who chose to be listed, less those another app leaves out (a
        membership level without the directory: accounts.access.directory_exclusions)."""
        from accounts.access import directory_exclusions

        listed = (
            self.active()
            .filter(directory_listed=True)
            .exclude(name_visibility=User.Visibility.NOBODY)
        )
        for left_out in directory_exclusions():
            listed = listed.exclude(left_out)
        return listed


class UserManager(BaseUserManager.from_queryset(MemberQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account: a club member (or applicant), logging in by e-mail."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        ACTIVE = "active", _("Active")
        LAPSED = "lapsed", _("Lapsed")
        RESIGNED = "resigned", _("Resigned")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Everyone, including the public")
        MEMBERS = "members", _("Club members only")
        NOBODY = "nobody", _("Nobody")

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)

    display_name = models.CharField(
        _("display name"),
        max_length=80,
        blank=True,
        help_text=_("How your name appears on the site."),
    )
    country = CountryField(_("country"), blank=True, blank_label=_("(not given)"))
    city = models.CharField(_("city"), max_length=80, blank=True)
    bio = models.TextField(_("short bio"), max_length=1000, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    name_visibility = models.CharField(
        _("show my name to"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )
    directory_listed = models.BooleanField(
        _("list me in the members' directory"),
        default=True,
        help_text=_("Other active members can find you in the directory."),
    )
    show_location = models.BooleanField(
        _("show my city in the directory"),
        default=False,
        help_text=_("Your country is always shown to members; your city only if you tick this."),
    )

    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The site and your e-mails are shown in this language."),
    )

    staff_digest = models.BooleanField(
        _("send me the staff digest"),
        default=False,
        help_text=_("Staff only: a daily e-mail of what waits in the staff inbox."),
    )

    membership_number = models.PositiveIntegerField(
        _("membership number"), null=True, blank=True, editable=False
    )
    membership_status = models.CharField(
        _("membership status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    member_since = models.DateField(_("member since"), null=True, blank=True, editable=False)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()
    # Who changed a membership, a name or a privacy choice, and when (staff see it in the
    # admin). Passwords and log-in times are no history.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        ordering = ["display_name", "email"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["membership_number"],
                condition=Q(membership_number__isnull=False),
                name="accounts_user_unique_membership_number",
            ),
            models.CheckConstraint(
                condition=Q(membership_status="pending") | Q(membership_number__isnull=False),
                name="accounts_user_member_has_number",
                violation_error_message=_(
                    "A member who has been approved needs a membership number."
                ),
            ),
        ]
        indexes = [models.Index(fields=["membership_status", "display_name"])]

    def __str__(self):
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email

    def get_absolute_url(self):
        if self.membership_number is None:
            return reverse("accounts:profile")
        return reverse("members:detail", args=[self.membership_number])

    @property
    def is_active_member(self) -> bool:
        return self.is_active and self.membership_status == self.Status.ACTIVE

    @property
    def is_organiser(self) -> bool:
        return self.is_staff or self.groups.filter(name=ORGANISERS_GROUP).exists()

    def name_for(self, viewer, *, as_=None) -> str:
        """The name `viewer` may see for this member: the rule is in accounts/privacy.py.

        In place of a hidden name, other members see the membership number; the public sees
        only "A member", so that nobody outside the club can tell which cars one person owns.
        """
        return privacy.name_for(self, viewer, as_=as_)


ORGANISERS_GROUP = "Organisers"


class Sequence(models.Model):
    """A named counter whose numbers are handed out once and never again.

    Membership numbers (and later the register's plaque numbers) come from here,
    so a number stays unique even after its holder's record is deleted.
    """

    name = models.SlugField(_("name"), max_length=50, primary_key=True)
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")

    def __str__(self):
        return f"{self.name}: {self.last_value}"


class FormSubmission(models.Model):
    """A form sent with a `{% form_once %}` token: the first send is handled, a second is not.

    Holds no personal data: the token, the path it was sent to and where the first send
    led. Rows older than a day serve no purpose (`purge_form_submissions`).
    """

    token = models.CharField(max_length=64, unique=True)
    path = models.CharField(max_length=300)
    outcome_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.path} ({self.token[:8]}…)"


class OutgoingMail(models.Model):
    """An e-mail the site sends, kept until it is delivered (accounts/outbox.py).

    Every e-mail, allauth's included, is stored here in the transaction of the change that
    causes it and sent afterwards by the task worker, with retries: a mail server that is
    down delays a mail but never breaks the page that sent it, and never loses the mail. One
    that keeps failing stays here as failed, for staff to see and send again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    from_email = models.TextField(_("from"))
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    bcc = models.JSONField(_("bcc"), default=list, blank=True)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    body = models.TextField(_("body"), blank=True)
    # [[content, mimetype], ...]: the HTML version of allauth's e-mails.
    alternatives = models.JSONField(_("alternatives"), default=list, blank=True)
    # [{"filename": ..., "mimetype": ..., "content": <base64>, "text": bool}, ...]
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due: at once for a new mail, none once sent or failed.
    next_attempt_at = models.DateTimeField(
        _("next attempt"), null=True, blank=True, default=timezone.now
    )
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="accounts_mail_status_due"),
        ]

    def __str__(self):
        return f"{', '.join(self.to)}: {self.subject}"
