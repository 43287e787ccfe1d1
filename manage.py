#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # A checkout with no secret and no profile configured is a developer's: manage.py
    # runs there in debug mode. Deployments always set SECRET_KEY(_FILE), so they keep
    # DEBUG off, and gunicorn and Celery never pass through here.
    configured = any(os.environ.get(n) for n in ("SECRET_KEY", "SECRET_KEY_FILE", "PORTAL_PROFILE"))
    if not configured:
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
