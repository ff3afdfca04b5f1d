FROM python:3.12-slim
RUN pip install dumb-init gunicorn
# dumb-init turns SIGTERM into SIGINT and signals the whole group: gunicorn drains while the
# shell waits for it
ENTRYPOINT ["dumb-init", "--rewrite", "15:2", "--"]
CMD python manage.py collectstatic --noinput && gunicorn app:app
