from __future__ import annotations

from django.urls import path, register_converter

from core.converters import IdConverter
from interviews import views

app_name = "interviews"
register_converter(IdConverter, "id")

urlpatterns = [
    path("", views.start, name="start"),
    path("progress/", views.dashboard, name="dashboard"),
    path("weakest/", views.practise_weakest, name="weakest"),
    path("again/<id:question_id>/", views.retry_question, name="retry"),
    path("s/<id:session_id>/", views.interview, name="interview"),
    path("s/<id:session_id>/q/<id:position>/save", views.save_answer, name="save"),
    path("s/<id:session_id>/q/<id:position>/flag", views.toggle_flag, name="flag"),
    path("s/<id:session_id>/submit", views.submit, name="submit"),
    path("s/<id:session_id>/results/", views.results, name="results"),
]
