from django.urls import path

from meets.views import checkin, organiser, public
from meets.views import questions as question_views

app_name = "meets"

urlpatterns = [
    path("", public.meet_list, name="list"),
    path("mine/", public.my_meets, name="mine"),
    path("calendar.ics", public.calendar_feed, name="calendar"),
    path("new/", organiser.meet_create, name="create"),
    # A code is a URL-safe token (slug characters): nothing else reaches the database.
    path("checkin/<slug:code>/", checkin.checkin_code, name="checkin_code"),
    path("rsvps/<int:pk>/cancel/", public.rsvp_cancel, name="rsvp_cancel"),
    path("rsvps/<int:pk>/qr.svg", public.rsvp_qr, name="rsvp_qr"),
    path("<slug:slug>/", public.meet_detail, name="detail"),
    path("<slug:slug>/meet.ics", public.meet_ics, name="ics"),
    path("<slug:slug>/rsvp/", public.rsvp, name="rsvp"),
    # Organisers
    path("<slug:slug>/edit/", organiser.meet_edit, name="edit"),
    path("<slug:slug>/publish/", organiser.meet_publish, name="publish"),
    path("<slug:slug>/cancel/", organiser.meet_cancel, name="cancel"),
    path("<slug:slug>/manage/", organiser.attendees, name="attendees"),
    path("<slug:slug>/attendees.csv", organiser.attendees_csv, name="attendees_csv"),
    path("<slug:slug>/message/", organiser.message, name="message"),
    path("<slug:slug>/helpers/", organiser.helpers, name="helpers"),
    path("<slug:slug>/promote/", organiser.promote, name="promote"),
    # Typed questions (issue 16)
    path("<slug:slug>/questions/", question_views.questions_edit, name="questions"),
    # Check-in (organisers and helpers)
    path("<slug:slug>/checkin/", checkin.checkin_list, name="checkin"),
    path("<slug:slug>/checkin/<int:pk>/", checkin.checkin_rsvp, name="checkin_rsvp"),
]
