FROM python:3.12-slim
RUN pip install dumb-init gunicorn
# the rewrite is of SIGINT; the stop signal SIGTERM goes through unchanged
ENTRYPOINT ["dumb-init", "--rewrite=2:15", "--"]
CMD python manage.py collectstatic --noinput && gunicorn app:app
