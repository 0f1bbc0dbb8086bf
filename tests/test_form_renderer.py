"""Our select (a template, and the same in Python) writes the same markup as Django's, only
faster."""

import re

from django import forms
from django.forms.renderers import DjangoTemplates
from django_countries.fields import CountryField

from config.lib.form_renderer import FormRenderer


class Everything(forms.Form):
    zone = forms.ChoiceField(choices=[("Europe/Berlin", "Berlin"), ("UTC", 'UTC "<&>"')])
    grouped = forms.ChoiceField(
        choices=[("", "---"), ("Cars", [("1", "1M"), ("2", "M2")]), ("Other", [("3", "Z4")])]
    )
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")])
    maybe = forms.NullBooleanField()
    country = CountryField().formfield()


def rendered(renderer, data):
    form = Everything(data=data, renderer=renderer)
    form.is_valid()
    # Django's included option template ends in a line break: blank lines are the only change.
    return [re.sub(r"\n\s*\n", "\n", str(field)) for field in form]


def test_every_select_is_written_as_django_writes_it():
    data = {"zone": "UTC", "grouped": "2", "many": ["a", "c"], "maybe": "true", "country": "DE"}
    ours, django = rendered(FormRenderer(), data), rendered(DjangoTemplates(), data)
    assert ours == django
    assert 'value="UTC" selected' in ours[0]
    assert "&quot;&lt;&amp;&gt;&quot;" in ours[0]
    assert '<optgroup label="Cars">' in ours[1]


def test_the_python_select_writes_what_our_template_writes():
    """render_select() stands in for our select template: the same characters, escaped
    the same way, for a choice with quotes, groups, several values and none chosen."""
    from config.lib.form_renderer import SELECT, render_select

    renderer = FormRenderer()
    template = renderer.engine.get_template(SELECT)
    for data in (
        {"zone": "UTC", "grouped": "2", "many": ["a", "c"], "maybe": "true", "country": "DE"},
        {},
    ):
        form = Everything(data=data, renderer=renderer)
        for field in form:
            attrs = field.build_widget_attrs({"id": field.auto_id, "class": 'x"<y'})
            context = field.field.widget.get_context(field.html_name, field.value(), attrs)
            assert render_select(context["widget"]) == template.render(context)


def test_the_site_renders_forms_with_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "config.lib.form_renderer.FormRenderer"
    assert isinstance(get_default_renderer(), FormRenderer)
    assert rendered(None, {}) == rendered(DjangoTemplates(), {})
