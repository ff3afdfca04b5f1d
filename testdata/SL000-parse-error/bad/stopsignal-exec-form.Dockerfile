# STOPSIGNAL has no JSON form: the brackets are part of the value, which is no signal.
FROM python:3.12-slim
WORKDIR /app
COPY . .
STOPSIGNAL ["SIGINT"]
CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]
