import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")

application = get_wsgi_application()

# The release the fragments are kept under, read from the code's files once here (gunicorn
# preloads the application before it forks its workers) instead of on each worker's first page.
from partnership.core import fragments  # noqa: E402 (the settings are loaded above)

fragments.release()
