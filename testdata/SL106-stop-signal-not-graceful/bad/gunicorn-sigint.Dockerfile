FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
STOPSIGNAL SIGINT
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--graceful-timeout", "25", "app.wsgi:application"]
