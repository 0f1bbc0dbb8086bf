from django.urls import path

from accounts import views

app_name = "members"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:number>/", views.member_detail, name="detail"),
]
