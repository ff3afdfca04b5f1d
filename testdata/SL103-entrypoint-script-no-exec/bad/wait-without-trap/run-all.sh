#!/bin/bash
celery -A tasks worker --loglevel=info &
gunicorn --bind :8000 app.wsgi &
wait -n
