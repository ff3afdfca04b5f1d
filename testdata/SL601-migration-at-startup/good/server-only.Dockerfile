FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN python manage.py collectstatic --noinput
CMD ["gunicorn", "--bind", ":8000", "mysite.wsgi"]
