"""The form renderer: Django's own widget templates, with a few of ours in front.

Django renders each <option> of a select through two included templates; a time zone
select has about 600 options and a country select 250, so the meet and profile forms
spent most of their time in those includes. Ours (`config/form_templates/`) writes the
options in one loop, with the same markup.
"""

from pathlib import Path

from django.forms import renderers
from django.utils.functional import cached_property

OURS = Path(__file__).resolve().parent.parent / "form_templates"


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
