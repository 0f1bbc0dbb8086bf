import django.db.models.functions.comparison
from django.db import migrations, models

import register.models


def plaque_order():
    return django.db.models.functions.comparison.Coalesce(
        "plaque_number", register.models.Constant(2147483647)
    )


class Migration(migrations.Migration):
    """PLAQUE_ORDER writes its number into the SQL rather than as a parameter.

    The index's SQL is the same either way (DDL has no parameters), so only Django's idea
    of the model changes: nothing is done to the database.
    """

    dependencies = [
        ("register", "0005_verbose_names"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterModelOptions(
                    name="car",
                    options={
                        "ordering": [plaque_order(), "vin"],
                        "verbose_name": "car",
                        "verbose_name_plural": "cars",
                    },
                ),
                migrations.RemoveIndex(model_name="car", name="register_car_plaque_order"),
                migrations.AddIndex(
                    model_name="car",
                    index=models.Index(
                        plaque_order(), models.F("vin"), name="register_car_plaque_order"
                    ),
                ),
            ],
        ),
    ]
