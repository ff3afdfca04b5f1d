# Ünïcode before findings: columns count characters, offsets count bytes.
FROM python:3.12-slim
WORKDIR /srv/app
COPY . .
STOPSIGNAL SIGKILL
CMD ["sh", "-c", "echo 'Grüße 🚀 déploiement' && python manage.py migrate && exec gunicorn --bind :8000 app.wsgi"]
