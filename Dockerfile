# syntax=docker/dockerfile:1
# One image for every role: web (gunicorn), Celery worker, Celery beat, GPU agent and
# the migrations job; the role is chosen by the command.
ARG PYTHON_VERSION=3.11

# --- build: dependencies into a venv, static files collected -----------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app
# The lock file alone first, so a code change does not reinstall the dependencies:
# the exact, hash-checked versions `make lock` resolved from pyproject.toml.
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --upgrade pip && pip install --require-hashes -r requirements/lock.txt
COPY . .
# The apps themselves (with their templates, catalogues and migrations) as a package.
RUN pip install --no-deps .
# collectstatic imports the settings, which refuse to start without SECRET_KEY when
# DEBUG is false; this dummy lives only in this one RUN step, never in the image.
RUN SECRET_KEY=collectstatic-only-build-time-dummy-key \
    DEBUG=false PORTAL_TESTING=false STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --noinput --verbosity 0

# --- runtime ------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG PORTAL_UID=10001
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=portal.settings \
    STATIC_ROOT=/app/staticfiles \
    PORTAL_VAR_DIR=/tmp/portal \
    PORT=8000
# A numeric uid so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
RUN groupadd --system --gid ${PORTAL_UID} portal \
    && useradd --system --uid ${PORTAL_UID} --gid portal --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin portal
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
# The code stays root-owned and read-only to the process; only /tmp is written
# (PORTAL_VAR_DIR, PROMETHEUS_MULTIPROC_DIR), which Kubernetes mounts as an emptyDir.
USER ${PORTAL_UID}:${PORTAL_UID}
EXPOSE 8000
# Python's urllib, because the slim image has neither curl nor wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "portal.wsgi:application"]
