"""Invoices, credit notes and receipts as PDF files (fpdf2), in the invoice's language.

fpdf2's built-in fonts (Helvetica) know the Windows-1252 characters only: "€", "ü", "ß",
"é", "Œ", "„…“" print as they are, and anything else (a Polish "Ł", a Cyrillic or Greek
name) is spelled in Latin letters by `pdf_text()`; a character it cannot spell (a Chinese
name) prints as "?". No font file is needed, so the PDFs look the same on every machine.
The invoice keeps the name exactly as written in the database and on its web page.
"""

import datetime
import unicodedata

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from config.lib.site import site_url
from membership.methods import label_of
from membership.models import Invoice, Payment
from membership.money import format_cents, grouped

ENCODING = "windows-1252"

# Letters with no Windows-1252 form and no accent to strip (NFKD does the accented ones).
_LATIN = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ħ": "H",
    "ħ": "h",
    "ı": "i",
    "Ŀ": "L",
    "ŀ": "l",
    "Ŧ": "T",
    "ŧ": "t",
    "ẞ": "SS",
    "Ə": "E",
    "ə": "e",
    "Ŋ": "N",
    "ŋ": "n",
}
# fmt: off
_CYRILLIC = dict(zip(
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЄІЇҐЂЈЉЊЋЏ",
    ["A", "B", "V", "G", "D", "E", "Yo", "Zh", "Z", "I", "Y", "K", "L", "M", "N", "O", "P",
     "R", "S", "T", "U", "F", "Kh", "Ts", "Ch", "Sh", "Shch", "", "Y", "", "E", "Yu", "Ya",
     "Ye", "I", "Yi", "G", "Dj", "J", "Lj", "Nj", "C", "Dz"],
    strict=True,
))
_GREEK = dict(zip(
    "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ",
    ["A", "V", "G", "D", "E", "Z", "I", "Th", "I", "K", "L", "M", "N", "X", "O", "P", "R",
     "S", "T", "Y", "F", "Ch", "Ps", "O"],
    strict=True,
))
# fmt: on


def _spellings() -> dict[str, str]:
    table = dict(_LATIN)
    for alphabet in (_CYRILLIC, _GREEK):
        for letter, latin in alphabet.items():
            table[letter] = latin
            table[letter.lower()] = latin.lower()
    table["ς"] = "s"
    # Spaces and dashes that number and date formats use.
    table.update({"\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2212": "-", "\u2011": "-"})
    return table


_SPELLINGS = _spellings()


def _printable(char: str) -> bool:
    try:
        char.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def pdf_text(text: str) -> str:
    """`text` in the characters the PDF's font has (see the module's docstring)."""
    out = []
    for char in str(text):
        if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            out.append(" ")
        elif _printable(char):
            out.append(char)
        elif char in _SPELLINGS:
            out.append(_SPELLINGS[char])
        else:
            for part in unicodedata.normalize("NFKD", char):
                if unicodedata.combining(part):
                    continue
                if _printable(part):
                    out.append(part)
                else:
                    out.append(_SPELLINGS.get(part, "?"))
    return "".join(out)


class _Document(FPDF):
    """An A4 page with the club's letterhead and a footer."""

    def __init__(self, title: str):
        super().__init__(format="A4")
        self.core_fonts_encoding = ENCODING
        self.set_title(pdf_text(title))
        self.set_author(pdf_text(settings.PADDOCK_CLUB_NAME))
        self.set_creator("Paddock")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=25)
        self.add_page()

    def footer(self):
        self.set_y(-18)
        self.set_font("Helvetica", size=8)
        self.set_text_color(110)
        line = f"{settings.PADDOCK_CLUB_NAME} · {site_url()}"
        self.cell(0, 5, pdf_text(line), align="C")

    # Writing helpers: every string goes through pdf_text.

    def text_line(self, text: str, *, size: float = 10, style: str = "", height: float = 5.5):
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, height, pdf_text(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def pair(self, label: str, value: str, *, width: float = 45, style: str = ""):
        self.set_font("Helvetica", "", 10)
        self.set_text_color(90)
        self.cell(width, 6, pdf_text(label))
        self.set_text_color(0)
        self.set_font("Helvetica", style, 10)
        self.multi_cell(0, 6, pdf_text(value), align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str, size: float = 12):
        self.ln(3)
        self.set_font("Helvetica", "B", size)
        self.cell(0, 8, pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    def letterhead(self):
        self.set_font("Helvetica", "B", 16)
        self.cell(0, 8, pdf_text(settings.PADDOCK_CLUB_NAME), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(90)
        for line in settings.PADDOCK_CLUB_ADDRESS:
            self.text_line(line, height=5)
        self.set_text_color(0)
        self.ln(8)

    def stamp(self, text: str, rgb: tuple[int, int, int]):
        """A framed word in the top right corner ("Paid", "Cancelled")."""
        x, y = self.get_x(), self.get_y()
        self.set_xy(self.w - self.r_margin - 45, 22)
        self.set_draw_color(*rgb)
        self.set_text_color(*rgb)
        self.set_line_width(0.8)
        self.set_font("Helvetica", "B", 16)
        self.cell(45, 12, pdf_text(text.upper()), border=1, align="C")
        self.set_text_color(0)
        self.set_draw_color(0)
        self.set_line_width(0.2)
        self.set_xy(x, y)

    def amount_table(self, rows: list[tuple[str, str]], total: tuple[str, str]):
        width = self.w - self.l_margin - self.r_margin
        self.set_font("Helvetica", "B", 10)
        self.set_fill_color(235)
        self.cell(width - 40, 7, pdf_text(_("Description")), border="B", fill=True)
        self.cell(40, 7, pdf_text(_("Amount")), border="B", fill=True, align="R")
        self.ln()
        self.set_font("Helvetica", "", 10)
        for text, amount in rows:
            top = self.get_y()
            lines = self.multi_cell(width - 40, 6, pdf_text(text), dry_run=True, output="LINES")
            self.multi_cell(width - 40, 6, pdf_text(text), new_x="RIGHT", new_y="TOP")
            self.cell(40, 6, pdf_text(amount), align="R")
            self.set_xy(self.l_margin, top + 6 * max(1, len(lines)))
        self.set_font("Helvetica", "B", 11)
        self.cell(width - 40, 8, pdf_text(total[0]), border="T")
        self.cell(40, 8, pdf_text(total[1]), border="T", align="R")
        self.ln(10)

    def bytes(self) -> bytes:
        return bytes(self.output())


def _date(day) -> str:
    return date_format(day, "DATE_FORMAT") if day else "—"


def _period(invoice: Invoice) -> str:
    if invoice.period_start is None:
        return ""
    if invoice.period_end is None:
        return _("From %(start)s, for life") % {"start": _date(invoice.period_start)}
    last = invoice.period_end - datetime.timedelta(days=1)
    return _("%(start)s to %(end)s") % {"start": _date(invoice.period_start), "end": _date(last)}


def bank_details() -> list[tuple[str, str]]:
    """The club's account as (label, value) rows; empty if no IBAN is configured."""
    if not settings.PADDOCK_BANK_IBAN:
        return []
    rows = [
        (_("Account holder"), settings.PADDOCK_BANK_ACCOUNT_HOLDER),
        (_("IBAN"), grouped(settings.PADDOCK_BANK_IBAN)),
    ]
    if settings.PADDOCK_BANK_BIC:
        rows.append((_("BIC"), settings.PADDOCK_BANK_BIC))
    return rows


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice (or credit note) as a PDF, in the language it was issued in."""
    with translation.override(invoice.language):
        credit = invoice.is_credit_note
        title = _("Credit note") if credit else _("Invoice")
        pdf = _Document(f"{title} {invoice.number}")
        pdf.letterhead()
        if invoice.status == Invoice.Status.PAID and not credit:
            pdf.stamp(_("Paid"), (25, 120, 60))
        elif invoice.status == Invoice.Status.CANCELLED:
            pdf.stamp(_("Cancelled"), (170, 30, 30))

        pdf.set_font("Helvetica", "B", 20)
        pdf.cell(0, 10, pdf_text(f"{title} {invoice.number}"), new_x="LMARGIN", new_y="NEXT")
        if credit and invoice.credit_for_id:
            pdf.text_line(
                _("Credit note for invoice %(number)s") % {"number": invoice.credit_for.number},
                style="B",
            )
        pdf.ln(3)

        pdf.pair(_("Billed to"), invoice.billed_name, style="B")
        if invoice.billed_email:
            pdf.pair("", invoice.billed_email)
        number = getattr(invoice.member, "membership_number", None)
        if number:
            pdf.pair(_("Membership number"), str(number))
        pdf.pair(_("Number"), invoice.number)
        pdf.pair(_("Issued on"), _date(invoice.issued_on))
        if not credit:
            pdf.pair(_("Due on"), _date(invoice.due_on))
        if invoice.period_start:
            pdf.pair(_("Period"), _period(invoice))
        pdf.ln(6)

        amount = format_cents(invoice.total_cents, invoice.currency)
        pdf.amount_table(
            [(invoice.description, amount)],
            (_("Total (%(currency)s)") % {"currency": invoice.currency}, amount),
        )

        if credit:
            pdf.text_line(_("This credit note cancels the amount above of the invoice it names."))
        elif invoice.status == Invoice.Status.PAID:
            pdf.text_line(_("Paid. Thank you!"), style="B")
        elif invoice.status == Invoice.Status.OPEN:
            pdf.heading(_("How to pay"))
            pdf.text_line(
                _(
                    "Please transfer %(amount)s by %(date)s to the account below, quoting "
                    "the payment reference exactly as printed: it lets the club match "
                    "your payment to this invoice."
                )
                % {"amount": amount, "date": _date(invoice.due_on)}
            )
            pdf.ln(2)
            for label, value in bank_details():
                pdf.pair(label, value)
            pdf.pair(_("Payment reference"), grouped(invoice.reference), style="B")
            pdf.pair(_("Amount"), amount, style="B")
        if settings.PADDOCK_INVOICE_NOTE:
            pdf.ln(6)
            pdf.set_text_color(90)
            pdf.text_line(settings.PADDOCK_INVOICE_NOTE, size=9)
            pdf.set_text_color(0)
        return pdf.bytes()


def receipt_pdf(payment: Payment) -> bytes:
    """A receipt for money received (or a note of money paid back) against an invoice."""
    invoice = payment.invoice
    with translation.override(invoice.language):
        is_payment = payment.kind == Payment.Kind.PAYMENT
        title = _("Receipt") if is_payment else payment.get_kind_display()
        pdf = _Document(f"{title} {invoice.number}")
        pdf.letterhead()
        pdf.set_font("Helvetica", "B", 20)
        pdf.cell(0, 10, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        amount = format_cents(payment.amount_cents, invoice.currency)
        if payment.kind == Payment.Kind.PAYMENT:
            pdf.pair(_("Received from"), invoice.billed_name, style="B")
        else:
            pdf.pair(_("Paid back to"), invoice.billed_name, style="B")
        pdf.pair(_("Amount"), amount, style="B")
        pdf.pair(_("Date"), _date(payment.received_on))
        pdf.pair(_("Method"), label_of(payment.method))
        pdf.pair(_("For invoice"), invoice.number)
        pdf.pair(_("Description"), invoice.description)
        if invoice.period_start:
            pdf.pair(_("Period"), _period(invoice))
        pdf.pair(_("Receipt number"), f"{invoice.number}/{payment.pk}")
        pdf.ln(6)
        if payment.kind == Payment.Kind.PAYMENT:
            pdf.text_line(_("Thank you for your payment."), style="B")
        if settings.PADDOCK_INVOICE_NOTE:
            pdf.ln(6)
            pdf.set_text_color(90)
            pdf.text_line(settings.PADDOCK_INVOICE_NOTE, size=9)
            pdf.set_text_color(0)
        return pdf.bytes()
