from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "register"
    verbose_name = "The register"

    def personal_data(self, member) -> dict:
        from register.services import member_register_data

        return member_register_data(member=member)

    def anonymise_member(self, member) -> None:
        from register.services import member_register_anonymise

        member_register_anonymise(member=member)
