"""The club's office: membership levels, memberships, invoices, payments, SEPA, statements.

Depends on accounts only. The register and meets ask `membership.rights` whether a member
may do something; nothing here knows cars or meets.

Money is integer cents in the club's currency (settings.PADDOCK_CURRENCY), never float.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.Model):
    """A kind of membership, kept by staff: its fee, its period and what it allows."""

    class Period(models.TextChoices):
        ROLLING = "rolling", _("12 months from joining")
        CALENDAR = "calendar", _("The calendar year (the first year pro rata)")
        LIFE = "life", _("For life (never renewed)")

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("short name"), max_length=40, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    fee_cents = models.PositiveIntegerField(
        _("fee (cents)"), default=0, help_text=_("Per period, in cents: 6000 is 60.00.")
    )
    period = models.CharField(
        _("period"), max_length=10, choices=Period.choices, default=Period.ROLLING
    )
    seats = models.PositiveSmallIntegerField(
        _("accounts"),
        default=1,
        help_text=_("How many member accounts share one membership (a household: 2 or more)."),
    )
    allows_rsvp = models.BooleanField(_("may RSVP to meets"), default=True)
    allows_cars = models.BooleanField(_("may register and claim cars"), default=True)
    allows_directory = models.BooleanField(_("appears in the members' directory"), default=True)
    open_to_applicants = models.BooleanField(
        _("members may choose it"),
        default=True,
        help_text=_("Off for levels only staff give (honorary, lifetime)."),
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Given to a new member on approval.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("membership level")
        verbose_name_plural = _("membership levels")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="membership_level_one_default",
                violation_error_message=_("Only one level can be the default."),
            ),
            models.CheckConstraint(
                condition=Q(seats__gte=1),
                name="membership_level_seats_positive",
                violation_error_message=_("A level needs at least one account."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def renews(self) -> bool:
        return self.period != self.Period.LIFE


class Membership(models.Model):
    """One paid membership: a level, a term, and the accounts that share it (its seats)."""

    level = models.ForeignKey(
        Level, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("level")
    )
    started_on = models.DateField(_("member since"))
    # The end of the term granted so far (exclusive: the renewal date); none for life.
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    lapsed_on = models.DateField(_("lapsed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [models.Index(fields=["valid_until"], name="membership_valid_until")]

    def __str__(self):
        payer = next((s.member for s in self.seats.all() if s.is_payer), None)
        return f"{self.level} — {payer or '?'}"


class Seat(models.Model):
    """A member account's place in a membership; the payer receives the invoices."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="seats", verbose_name=_("membership")
    )
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="seat",
        verbose_name=_("member"),
    )
    is_payer = models.BooleanField(_("pays"), default=False)
    # Part of the signed code on the member's card: raising it makes every card printed or
    # saved before worthless (a lost card, a code shared around), and the next one valid.
    card_version = models.PositiveSmallIntegerField(
        _("card version"),
        default=1,
        help_text=_("Raise it to invalidate the member's card codes issued so far."),
    )

    class Meta:
        ordering = ["-is_payer", "pk"]
        verbose_name = _("account in membership")
        verbose_name_plural = _("accounts in membership")
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(is_payer=True),
                name="membership_seat_one_payer",
                violation_error_message=_("A membership has one paying member."),
            )
        ]

    def __str__(self):
        return str(self.member)


class Invoice(models.Model):
    """An invoice or a credit note, numbered without gaps per year (2026-0001, 2026-0002, …).

    Never deleted or edited once issued: a mistake is undone by a credit note, which takes
    the next number. Its total is in cents, negative for a credit note.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit", _("Credit note")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", pgettext_lazy("invoice status", "Cancelled")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    serial = models.PositiveIntegerField(_("serial"), editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
        verbose_name=_("membership"),
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("billed member"),
    )
    level = models.ForeignKey(
        Level, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("level")
    )
    # What the invoice says, kept as issued even if the member or level changes later.
    billed_name = models.CharField(_("billed to"), max_length=200)
    billed_email = models.EmailField(_("e-mail"), blank=True)
    description = models.CharField(_("description"), max_length=300)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period until"), null=True, blank=True)
    total_cents = models.IntegerField(_("total (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    # ISO 11649 creditor reference (RF…) that a bank transfer quotes.
    reference = models.CharField(_("payment reference"), max_length=35, unique=True)
    credit_for = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credits invoice"),
    )
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-serial"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="membership_invoice_serial"),
            # One live dues invoice per membership and period: the renewal command may run
            # any number of times.
            models.UniqueConstraint(
                fields=["membership", "period_start"],
                condition=Q(kind="invoice") & ~Q(status="cancelled"),
                name="membership_invoice_one_per_period",
            ),
            models.CheckConstraint(
                condition=(Q(kind="invoice", total_cents__gte=0))
                | Q(kind="credit", total_cents__lte=0),
                name="membership_invoice_sign",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("issued_on")), name="membership_invoice_due_after_issue"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="membership_invoice_due")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("membership:invoice", args=[self.number])

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE


class Payment(models.Model):
    """Money in (or back out) against an invoice, in cents: positive received, negative refunded.

    `method` names a payment method from membership/methods.py (a registry, so a new way to
    pay is a new module there, with no change to invoices or this table).
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")
        RETURNED = "returned", _("Returned direct debit")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    method = models.CharField(_("method"), max_length=20)
    amount_cents = models.IntegerField(_("amount (cents)"))
    received_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    statement_line = models.OneToOneField(
        "StatementLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
        verbose_name=_("statement line"),
    )
    collection_item = models.ForeignKey(
        "CollectionItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("direct debit"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="payment", amount_cents__gt=0)
                | Q(kind__in=["refund", "returned"], amount_cents__lt=0),
                name="membership_payment_sign",
            ),
        ]

    def __str__(self):
        return f"{self.invoice}: {self.amount_cents}"


class Mandate(models.Model):
    """A SEPA direct debit mandate (SEPA Core) a member gave online."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mandates",
        verbose_name=_("member"),
    )
    reference = models.CharField(_("mandate reference"), max_length=35, unique=True)
    account_holder = models.CharField(_("account holder"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    signed_on = models.DateField(_("signed on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    # The last collection that went through: none means the next one is a first (FRST).
    last_collected_on = models.DateField(_("last collected on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-pk"]
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="active"),
                name="membership_mandate_one_active",
                violation_error_message=_("A member has one active mandate at a time."),
            )
        ]

    def __str__(self):
        return self.reference


class Collection(models.Model):
    """A pain.008 file staff exported for one collection date."""

    collection_date = models.DateField(_("collection date"))
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    xml = models.TextField(_("pain.008 file"))
    total_cents = models.PositiveIntegerField(_("total (cents)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exported by"),
    )
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    class Meta:
        ordering = ["-collection_date", "-pk"]
        verbose_name = _("direct debit collection")
        verbose_name_plural = _("direct debit collections")

    def __str__(self):
        return f"{self.collection_date} ({self.message_id})"


class CollectionItem(models.Model):
    """One debit in a collection: an invoice, the mandate, FRST or RCUR."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")

    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="items", verbose_name=_("collection")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="debits", verbose_name=_("invoice")
    )
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="debits", verbose_name=_("mandate")
    )
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    sequence_type = models.CharField(_("sequence type"), max_length=4)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    return_reason = models.CharField(_("return reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["collection", "pk"]
        verbose_name = _("direct debit")
        verbose_name_plural = _("direct debits")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="submitted"),
                name="membership_debit_one_live_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(sequence_type__in=["FRST", "RCUR"]),
                name="membership_debit_sequence_type",
            ),
        ]

    def __str__(self):
        return self.end_to_end_id


class Statement(models.Model):
    """A bank statement staff uploaded (CAMT.053 or MT940); importing it twice does nothing."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", "CAMT.053"
        MT940 = "mt940", "MT940"

    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("checksum"), max_length=64, unique=True)
    account = models.CharField(_("account"), max_length=34, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self):
        return self.filename


class StatementLine(models.Model):
    """One booking on a statement: matched to an invoice, waiting for staff, or set aside."""

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", _("Waiting to be matched")
        MATCHED = "matched", _("Matched")
        IGNORED = "ignored", _("Not a payment of dues")

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("statement")
    )
    booked_on = models.DateField(_("booked on"))
    amount_cents = models.IntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    counterparty_name = models.CharField(_("from / to"), max_length=140, blank=True)
    counterparty_iban = models.CharField(_("their account"), max_length=34, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    # The same booking in an overlapping statement is the same line: never paid twice.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UNMATCHED
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        verbose_name=_("invoice"),
    )
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("matched by"),
    )
    # Why an import left the line waiting (the invoice it names, and what did not fit).
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-booked_on", "-pk"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        indexes = [models.Index(fields=["status", "booked_on"], name="membership_line_status")]

    def __str__(self):
        return f"{self.booked_on} {self.amount_cents} {self.counterparty_name}"
