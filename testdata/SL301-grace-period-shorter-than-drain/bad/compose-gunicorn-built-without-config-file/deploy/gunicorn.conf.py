# Used by the VM deploy: gunicorn -c deploy/gunicorn.conf.py
graceful_timeout = 5
