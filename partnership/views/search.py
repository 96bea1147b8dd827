"""Staff pages: search."""

urlpatterns = []
