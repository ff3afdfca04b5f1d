FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
ENTRYPOINT ["tini", "--"]
CMD gunicorn --bind 0.0.0.0:8000 --workers 3 app.wsgi
