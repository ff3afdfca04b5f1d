# syntax=docker/dockerfile:1.7
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app

FROM base AS deps
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements.txt,target=requirements.txt \
    pip install -r requirements.txt

FROM base
COPY --from=deps /usr/local /usr/local
COPY --chown=app:app --chmod=755 . .
RUN <<SETUP
set -e
useradd --create-home app
python -m compileall -q .
SETUP
COPY <<CONF /etc/app/app.conf
bind = ":8000"
CONF
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/healthz')"]
CMD ["gunicorn", "--bind", ":8000", "--graceful-timeout", "20", "app.wsgi"]
