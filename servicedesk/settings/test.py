"""Test settings: the same stack as configured by the environment, made fast."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
# One test database per test process, so that several runs on one machine never clash.
_TEST_DB_SUFFIX = env.str("TEST_DB_SUFFIX", default=str(os.getpid()))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: tests with several threads need them to share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{_TEST_DB_SUFFIX}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default']['NAME']}_{_TEST_DB_SUFFIX}"
    }
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": "10000/minute",
    "user": "10000/minute",
    "token-obtain": "10000/minute",
}
STORAGES = {**STORAGES}  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Tests that run a real worker use a queue of their own, never a developer's running worker's.
CELERY_TASK_DEFAULT_QUEUE = f"test-{_TEST_DB_SUFFIX}"
