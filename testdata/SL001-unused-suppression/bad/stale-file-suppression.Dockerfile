# shutdownlint: ignore-file[SL104, SL101]
FROM python:3.12-slim
CMD ["gunicorn", "--bind", ":8000", "app.wsgi"]
