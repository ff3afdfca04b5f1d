# Debian buster's bash is 5.0: SHELL makes the CMD run under bash, which does not exec the last
# command of a list before 5.1.
FROM python:3.9-slim-buster
SHELL ["/bin/bash", "-c"]
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD python manage.py migrate --noinput && gunicorn --bind 0.0.0.0:8000 mysite.wsgi
