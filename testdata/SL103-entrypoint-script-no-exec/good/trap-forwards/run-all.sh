#!/bin/bash
celery -A tasks worker --loglevel=info &
worker=$!
gunicorn --bind :8000 app.wsgi &
web=$!
trap 'kill -TERM $worker $web; wait' TERM INT
wait -n
