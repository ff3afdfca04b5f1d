FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["bash", "-c", "alembic upgrade head; exec uvicorn app.main:app --host 0.0.0.0"]
