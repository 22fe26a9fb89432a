"""Satisfaction views, feedback counts and the Quyết định 766 scorecard (leaders' statistics)."""
from django.urls import path

from citizens import report_views as views

urlpatterns: list = [
    path("thong-ke/hai-long/don-vi/", views.satisfaction_units, name="satisfaction_units"),
    path("thong-ke/hai-long/can-bo/", views.satisfaction_officers, name="satisfaction_officers"),
    path("thong-ke/hai-long/phieu/", views.satisfaction_evaluations, name="satisfaction_evaluations"),
    path("thong-ke/phan-anh-kien-nghi/", views.feedback_report, name="feedback_report"),
    path("thong-ke/bo-chi-so-766/", views.scorecard, name="scorecard"),
]
