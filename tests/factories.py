import factory
from allauth.account.models import EmailAddress

from accounts.models import User
from accounts.services import member_approve

TEST_PASSWORD = "correct-horse-battery-staple"


class PendingMemberFactory(factory.django.DjangoModelFactory):
    """A signed-up, e-mail-verified account that staff have not approved yet."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    country = "DE"
    city = "Cologne"
    name_visibility = User.Visibility.MEMBERS

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class MemberFactory(PendingMemberFactory):
    """An active member with a membership number."""

    @factory.post_generation
    def approved(obj, create, extracted, **kwargs):
        if create:
            member_approve(member=obj, notify=False)
            obj.refresh_from_db()
