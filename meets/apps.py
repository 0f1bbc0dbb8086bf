from django.apps import AppConfig


class MeetsConfig(AppConfig):
    name = "meets"
    verbose_name = "Meets"

    def personal_data(self, member) -> dict:
        from meets.services import member_meets_data

        return member_meets_data(member=member)

    def anonymise_member(self, member) -> None:
        from meets.services import member_meets_anonymise

        member_meets_anonymise(member=member)

    def car_page_section(self, request, car) -> str:
        """The meets a car attended, for the register's car page."""
        from meets.views.public import car_meets_section

        return car_meets_section(request, car)
