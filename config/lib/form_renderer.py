"""The form renderer: Django's own widget templates, with a select written in Python.

Django renders each <option> of a select through two included templates; a time zone
select has about 600 options and a country select 250, so the meet and profile forms
spent most of their time in those includes. Ours (`config/form_templates/`) writes the
options in one loop, with the same markup; and `render()` writes a select's markup in
Python altogether — the same characters the template writes, escaped the same way — since
even one loop of the template engine was most of a cold register page (its filters).
"""

from pathlib import Path

from django.forms import renderers
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

OURS = Path(__file__).resolve().parent.parent / "form_templates"
SELECT = "django/forms/widgets/select.html"


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html writes them."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {name}")
        else:
            out.append(f' {name}="{conditional_escape(str(value))}"')
    return "".join(out)


def render_select(widget: dict) -> str:
    """config/form_templates/django/forms/widgets/select.html, in Python."""
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            attrs = _attrs(option["attrs"]) if option["attrs"] else ""
            value = conditional_escape(str(option["value"]))
            out.append(
                f'\n  <option value="{value}"{attrs}>{conditional_escape(option["label"])}</option>'
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>\n")
    return "".join(out)


class FormRenderer(renderers.DjangoTemplates):
    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [OURS, Path(renderers.__file__).parent / self.backend.app_dirname],
                "NAME": "djangoforms",
                "OPTIONS": {},
            }
        )

    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            # As the template renderer does: the markup without its last line break.
            return mark_safe(render_select(context["widget"]).strip())  # noqa: S308  # nosec B308 B703
        return super().render(template_name, context, request)
