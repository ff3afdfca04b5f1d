FROM python:3.12-slim
WORKDIR /app
COPY . .
STOPSIGNAL SIGKILL
CMD ["python", "-m", "worker"]
