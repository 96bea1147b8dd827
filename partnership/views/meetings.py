"""Staff pages: meetings."""

urlpatterns = []
