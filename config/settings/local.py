"""The embedded default: SQLite, in-process Celery, console e-mail."""

from .base import *

DEBUG = env.bool("DEBUG", default=True)

# Serve static files straight from the apps; no collectstatic needed outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
