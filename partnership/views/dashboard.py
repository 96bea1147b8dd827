"""Staff pages: dashboard."""

urlpatterns = []
