from django.urls import path

from meets.views import albums, checkin, gate, gate_devices, offers, organiser, public, series
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
    # Series and clones (issue 16). Before the meet's own paths: a series' address
    # "series/<slug>/" must not be read as the page "<slug>/" of a meet called "series".
    path("series/<slug:slug>/", series.series_detail, name="series"),
    path("series/<slug:slug>/series.ics", series.series_ics, name="series_ics"),
    path("series/<slug:slug>/edit/", series.series_edit, name="series_edit"),
    path("<slug:slug>/clone/", series.clone, name="clone"),
    path("<slug:slug>/repeat/", series.repeat, name="repeat"),
    # Waiting-list offers and no-shows (meets/offers.py, meets/noshows.py)
    path("offers/<int:pk>/accept/", offers.offer_accept, name="offer_accept"),
    path("offers/<int:pk>/decline/", offers.offer_decline, name="offer_decline"),
    path("no-shows/", offers.no_shows, name="no_shows"),
    # The gate app (its data comes from the check-in API with a device's token). Before
    # "<slug>/": a meet's slug always ends in its date, so none is "gate".
    path("gate/", gate.app, name="gate"),
    path("gate/manifest.webmanifest", gate.manifest, name="gate_manifest"),
    path("gate/sw.js", gate.service_worker, name="gate_service_worker"),
    path("<slug:slug>/", public.meet_detail, name="detail"),
    path("<slug:slug>/meet.ics", public.meet_ics, name="ics"),
    path("<slug:slug>/cars/", public.meet_cars, name="cars"),
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
    # The check-in app's devices (organisers and helpers)
    path("<slug:slug>/gate/devices/", gate_devices.gate_devices, name="gate_devices"),
    path(
        "<slug:slug>/gate/devices/<int:pk>/revoke/",
        gate_devices.gate_device_revoke,
        name="gate_device_revoke",
    ),
    # The meet's album (meets/albums.py)
    path("<slug:slug>/album/", albums.album, name="album"),
    path("<slug:slug>/album/add/", albums.album_add, name="album_add"),
    path("<slug:slug>/album/review/", albums.album_review, name="album_review"),
    path("<slug:slug>/album/<int:pk>/photo.jpg", albums.photo_file, name="album_photo"),
    path("<slug:slug>/album/<int:pk>/thumb.jpg", albums.thumb_file, name="album_thumb"),
    path("<slug:slug>/album/<int:pk>/edit/", albums.photo_edit, name="album_photo_edit"),
    path("<slug:slug>/album/<int:pk>/delete/", albums.photo_delete, name="album_photo_delete"),
]
