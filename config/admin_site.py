"""The admin's front page grouped as a club administrator thinks of the club.

Django lists each installed app on its own: "Accounts" held only e-mail addresses,
"Authentication and Authorization" only groups, and the outbox stood among the members.
Here the index and the side bar show five groups — Members, Register, Meets, Club office,
Site — in that order; an app's own page (/admin/<app>/) stays as Django makes it.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# (key, heading, the apps whose models it takes), in the order the index shows them.
GROUPS = (
    ("members", _("Members"), ("accounts", "account")),
    ("register", pgettext_lazy("admin group", "Register"), ("register",)),
    ("meets", _("Meets"), ("meets",)),
    ("office", _("Club office"), ("membership",)),
    ("site", pgettext_lazy("admin group", "Site"), ()),
)
# Models that belong elsewhere than their app's group; any app not named above goes to
# "Site" (sites, groups and permissions, background tasks).
MODEL_GROUPS = {
    "accounts.outgoingmail": "site",
}


def group_of(app_label: str, model_name: str) -> str:
    key = MODEL_GROUPS.get(f"{app_label}.{model_name}")
    if key:
        return key
    for group, _heading, apps in GROUPS:
        if app_label in apps:
            return group
    return "site"


class ClubAdminSite(admin.AdminSite):
    def get_app_list(self, request, app_label=None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        groups = {
            key: {
                "name": heading,
                "app_label": key,
                "app_url": "",
                "has_module_perms": True,
                "models": [],
            }
            for key, heading, _apps in GROUPS
        }
        for app in self._build_app_dict(request).values():
            for model in app["models"]:
                group = groups[group_of(app["app_label"], model["object_name"].lower())]
                group["models"].append(model)
                # The heading links to its own app's page, else to the first app that
                # gave it a model.
                if group["app_label"] == group_of(app["app_label"], "") or not group["app_url"]:
                    group["app_url"] = app["app_url"]
        app_list = [group for group in groups.values() if group["models"]]
        for group in app_list:
            group["models"].sort(key=lambda model: str(model["name"]).casefold())
        return app_list


class ClubAdminConfig(AdminConfig):
    default_site = "config.admin_site.ClubAdminSite"
