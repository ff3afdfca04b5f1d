#!/bin/sh
# local runs: reload on change
set -e
gunicorn --reload app:app
