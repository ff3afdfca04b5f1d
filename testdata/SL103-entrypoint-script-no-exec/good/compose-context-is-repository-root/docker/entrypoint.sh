#!/bin/sh
# Local development helper (not copied into the image).
python manage.py runserver 0.0.0.0:8000
