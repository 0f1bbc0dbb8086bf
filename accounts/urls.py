from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/edit/", views.profile_edit, name="profile_edit"),
    path("profile/export/", views.data_export, name="export"),
    path("profile/delete/", views.account_delete, name="delete"),
    path("language/", views.set_language, name="language"),
]
