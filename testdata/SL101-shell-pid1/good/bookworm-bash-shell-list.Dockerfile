# bookworm's bash is 5.2: it execs the last command of the list.
FROM python:3.12-slim-bookworm
SHELL ["/bin/bash", "-c"]
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD python manage.py migrate --noinput && gunicorn --bind 0.0.0.0:8000 mysite.wsgi
