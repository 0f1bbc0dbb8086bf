"""Periods of ownership of one car never overlap: PostgreSQL's exclusion constraint.

The constraint lives only on PostgreSQL (SQLite has no exclusion constraints), so it is
written here as vendor-guarded SQL rather than in Ownership.Meta.constraints, where
makemigrations would try to create it on SQLite too. The same rule, in words a user
understands, is Ownership.clean() and the services' check (OwnershipQuerySet.overlapping).

A period with no known start, or one that ended the day it began (an empty range),
overlaps nothing; an open end (the current owner) runs on for ever.
"""

from django.db import migrations

CONSTRAINT = "register_ownership_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # btree_gist lets a GiST index compare car_id with "="; it is a trusted extension
    # (PostgreSQL 13+), so the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE register_ownership ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (car_id WITH =, daterange(started_on, ended_on, '[)') WITH &&) "
        "WHERE (started_on IS NOT NULL)"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE register_ownership DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0001_squashed_0006_plaque_order_constant"),
    ]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
