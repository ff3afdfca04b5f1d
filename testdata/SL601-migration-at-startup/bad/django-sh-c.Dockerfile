FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn --bind :8000 mysite.wsgi"]
