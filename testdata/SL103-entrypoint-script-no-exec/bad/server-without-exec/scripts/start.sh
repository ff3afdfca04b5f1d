#!/usr/bin/env bash
set -euo pipefail

echo "starting on port ${PORT:-8000}"
gunicorn --bind "0.0.0.0:${PORT:-8000}" --workers "${WORKERS:-3}" app.wsgi
