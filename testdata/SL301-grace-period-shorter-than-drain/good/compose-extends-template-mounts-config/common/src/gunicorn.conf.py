# Gunicorn settings for every service built on the common template.
bind = "0.0.0.0:8000"
workers = 4
graceful_timeout = 15
