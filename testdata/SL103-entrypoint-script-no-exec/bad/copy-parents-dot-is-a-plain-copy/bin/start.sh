#!/bin/sh
set -e
gunicorn app:app
