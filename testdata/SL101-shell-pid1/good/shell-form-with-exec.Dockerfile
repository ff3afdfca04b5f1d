FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD exec gunicorn --bind "0.0.0.0:${PORT:-8000}" app.wsgi
