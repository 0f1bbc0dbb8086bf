import functools

import factory
from allauth.account.models import EmailAddress

from accounts.models import User
from accounts.services import member_approve

TEST_PASSWORD = "correct-horse-battery-staple"


@functools.cache
def _test_password_hash() -> str:
    """TEST_PASSWORD hashed once: every test account shares it (saves two queries each)."""
    from django.contrib.auth.hashers import make_password

    return make_password(TEST_PASSWORD)


class PendingMemberFactory(factory.django.DjangoModelFactory):
    """A signed-up, e-mail-verified account that staff have not approved yet."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.setdefault("password", _test_password_hash())
        return super()._create(model_class, *args, **kwargs)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    country = "DE"
    city = "Cologne"
    name_visibility = User.Visibility.MEMBERS

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        if extracted or not create:
            obj.set_password(extracted or TEST_PASSWORD)
        if create:
            if extracted:
                obj.save(update_fields=["password"])
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class MemberFactory(PendingMemberFactory):
    """An active member with a membership number."""

    @factory.post_generation
    def approved(obj, create, extracted, **kwargs):
        if create:
            approved = member_approve(member=obj, notify=False)
            # What the approval wrote, without reading the row again.
            for field in ("membership_number", "member_since", "membership_status", "renewal_date"):
                setattr(obj, field, getattr(approved, field))
