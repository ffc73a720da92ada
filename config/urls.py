from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's error pages).
    path("favicon.ico", views.favicon),
    path("status", views.status, name="status"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/verify/", views.verify_email_resend, name="verify_email_resend"),
    path("accounts/verify/<str:token>/", views.verify_email, name="verify_email"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/login/", views.ThrottledAdminLoginView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
    path("practice/", include("interviews.urls")),
    path("hiring/", include("hiring.urls")),
    path("api/v1/", include("hiring.api_urls")),
]
