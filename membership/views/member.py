from django.urls import path  # noqa: F401

# (name, view) routes of this part of the office; membership/urls.py gathers them.
member_urls: list = []
office_urls: list = []
