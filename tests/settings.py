"""Settings for the test suite: the product's settings with a throwaway key and fast hashing.

DATABASE_URL and REDIS_URL still come from the environment, so the same suite runs on
the embedded default and on PostgreSQL + Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-" + "0123456789abcdef" * 4)

from smi_ui.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files straight from static/ (no collectstatic step in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Sync runs in threads: on SQLite, a file database (with WAL and a busy timeout) lets them
# write while the test reads, where a shared in-memory database would fail with "table locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"smi-ui-tests-{os.getpid()}.sqlite3")
    }

# Live figures over a 1 s window: a weight change shows within a refresh or two, as tests expect.
# (The simulator answers each window honestly; tests of that use explicit windows.)
METRICS_WINDOW_SECONDS = 1
