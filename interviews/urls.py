from __future__ import annotations

from django.urls import path

from interviews import views

app_name = "interviews"

urlpatterns = [
    path("", views.start, name="start"),
    path("progress/", views.dashboard, name="dashboard"),
    path("weakest/", views.practise_weakest, name="weakest"),
    path("s/<int:session_id>/", views.interview, name="interview"),
    path("s/<int:session_id>/q/<int:position>/save", views.save_answer, name="save"),
    path("s/<int:session_id>/q/<int:position>/flag", views.toggle_flag, name="flag"),
    path("s/<int:session_id>/submit", views.submit, name="submit"),
    path("s/<int:session_id>/results/", views.results, name="results"),
]
