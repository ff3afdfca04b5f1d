#!/bin/sh
set -e
python -c "import app.wsgi"
exec "$@"
