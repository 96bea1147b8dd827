"""Staff pages: programmes."""

urlpatterns = []
