# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN <<INSTALL
pip install --no-cache-dir -r requirements.txt
CMD ["gunicorn", "app.wsgi"]
