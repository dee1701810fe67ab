# Production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=servicedesk.settings.production \
    SERVICEDESK_VAR_DIR=/var/lib/servicedesk

RUN groupadd --system desk && useradd --system --gid desk --home-dir /app desk
WORKDIR /app

COPY . .
RUN pip install -e . \
    && SECRET_KEY="build-time-only-key-used-to-collect-static-files-never-served" \
       python manage.py collectstatic --noinput -v0 \
    && mkdir -p /var/lib/servicedesk/media \
    && chown -R desk:desk /var/lib/servicedesk

USER desk
EXPOSE 8000
CMD ["gunicorn", "servicedesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
