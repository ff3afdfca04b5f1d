FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["sh", "-c", "python manage.py makemigrations --check --dry-run && exec gunicorn --bind :8000 mysite.wsgi"]
