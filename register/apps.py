from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class RegisterConfig(AppConfig):
    name = "register"
    # The admin says "<name> administration" and "Models in the <name> application".
    verbose_name = pgettext_lazy("app name", "The register")

    def ready(self) -> None:
        # Cache invalidation only: no business logic hangs on these signals.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from register.cache import on_change
        from register.models import (
            Car,
            CarPhoto,
            Colour,
            MileageReading,
            ModelLine,
            Ownership,
            ProductionFigure,
            TimelineEntry,
        )

        # Everything a car's page or the lists show; owners' names come from members.
        post_save.connect(_member_saved, sender=get_user_model(), dispatch_uid="register-member")
        for model in (
            Car,
            CarPhoto,
            Colour,
            ModelLine,
            ProductionFigure,
            Ownership,
            TimelineEntry,
            MileageReading,
        ):
            post_save.connect(on_change, sender=model, dispatch_uid=f"register-cache-{model}")
            post_delete.connect(on_change, sender=model, dispatch_uid=f"register-cache-d{model}")

    def personal_data(self, member) -> dict:
        from register.services import member_register_data

        return member_register_data(member=member)

    def anonymise_member(self, member) -> None:
        from register.services import member_register_anonymise

        member_register_anonymise(member=member)


def _member_saved(sender, update_fields=None, using=None, **kwargs) -> None:
    from config.lib.versioned_cache import member_change_matters
    from register.cache import register_cache

    if member_change_matters(update_fields):
        register_cache.bump_on_commit(using)
