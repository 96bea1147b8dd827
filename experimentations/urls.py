"""Staff pages of the experimentations."""

app_name = "experimentations"

urlpatterns = []
