"""Staff pages of the ad hoc conventions and their amendments."""

app_name = "conventions"

urlpatterns = []
