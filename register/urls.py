from django.urls import path

from register.views import (
    exports,
    facts,
    lastseen,
    owner,
    public,
    sale,
    sightings,
    staff,
    stats,
)

app_name = "register"

urlpatterns = [
    # Public
    path("", public.car_list, name="list"),
    path("cars/<int:pk>/", public.car_detail, name="car"),
    path("stats/", stats.statistics, name="stats"),
    path("export.csv", exports.public_csv, name="export_csv"),
    path("export.json", exports.public_json, name="export_json"),
    # Members
    path("garage/", owner.garage, name="garage"),
    path("add/", owner.car_add, name="add"),
    path("claim/", owner.claim_find, name="claim_find"),
    path("cars/<int:pk>/claim/", owner.car_claim, name="claim"),
    path("cars/<int:pk>/edit/", owner.car_edit, name="edit"),
    path("cars/<int:pk>/timeline/", owner.timeline_add, name="timeline_add"),
    path("cars/<int:pk>/mileage/", owner.mileage_add, name="mileage_add"),
    path("timeline/<int:pk>/edit/", owner.timeline_edit, name="timeline_edit"),
    path("timeline/<int:pk>/delete/", owner.timeline_delete, name="timeline_delete"),
    path("mileage/<int:pk>/edit/", owner.mileage_edit, name="mileage_edit"),
    path("mileage/<int:pk>/delete/", owner.mileage_delete, name="mileage_delete"),
    path("cars/<int:pk>/photos/", owner.photo_add, name="photo_add"),
    path("photos/<int:pk>/cover/", owner.photo_cover, name="photo_cover"),
    path("photos/<int:pk>/delete/", owner.photo_delete, name="photo_delete"),
    path("cars/<int:pk>/transfer/", owner.transfer_start, name="transfer"),
    path("transfers/<int:pk>/", owner.transfer_respond, name="transfer_respond"),
    path("still-mine/<str:token>/", lastseen.still_mine, name="still_mine"),
    # Cars for sale
    path("for-sale/", sale.listing_list, name="for_sale"),
    path("for-sale/<int:pk>/", sale.listing_detail, name="listing"),
    path("for-sale/<int:pk>/end/", sale.listing_end, name="listing_end"),
    path("for-sale/<int:pk>/enquire/", sale.enquiry_start, name="enquire"),
    path("cars/<int:pk>/sell/", sale.listing_add, name="sell"),
    path("enquiries/", sale.enquiry_list, name="enquiries"),
    path("enquiries/<int:pk>/", sale.enquiry_detail, name="enquiry"),
    path("sale-invitations/<str:token>/", sale.invitation_take, name="sale_invitation"),
    # Staff
    path("review/", staff.review_queue, name="review"),
    path("review/cars/<int:pk>/", staff.review_car, name="review_car"),
    path("review/claims/<int:pk>/", staff.review_claim, name="review_claim"),
    path("review/changes/<int:pk>/", staff.review_change, name="review_change"),
    path("review/claims/<int:pk>/evidence.jpg", staff.claim_evidence, name="claim_evidence"),
    path("staff/export.csv", exports.staff_csv, name="export_staff_csv"),
    path("staff/import/", staff.import_cars, name="import"),
    # Every fact with its source (register/views/facts.py)
    path("cars/<int:pk>/facts/<str:field>/add/", facts.fact_add, name="fact_add"),
    path("cars/<int:pk>/facts/<str:field>/settle/", facts.fact_settle, name="fact_settle"),
    path("review/facts/", facts.facts_disputed, name="facts_disputed"),
    # Sightings: anyone reports a car they saw, staff review
    path("sightings/new/", sightings.sighting_new, name="sighting_new"),
    path("review/sightings/", sightings.sighting_review, name="sighting_review"),
    path("review/sightings/<int:pk>/", sightings.sighting_decide, name="sighting_decide"),
    path("review/sightings/<int:pk>/photo.jpg", sightings.sighting_photo, name="sighting_photo"),
]
