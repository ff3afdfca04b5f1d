FROM python:3.12-slim
RUN pip install dumb-init gunicorn
ENTRYPOINT ["dumb-init", "-r15:2"]
CMD python manage.py collectstatic --noinput && gunicorn app:app
