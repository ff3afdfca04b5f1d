#!/bin/sh
set -e
python manage.py migrate --noinput
gunicorn app:app --bind 0.0.0.0:8000
