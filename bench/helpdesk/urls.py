"""helpdesk's URLs at the root: the ticket API is /api/tickets/."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
