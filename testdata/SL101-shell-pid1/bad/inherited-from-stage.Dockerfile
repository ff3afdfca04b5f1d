FROM python:3.12-slim AS app
WORKDIR /app
COPY . .
CMD uvicorn app.main:app --host 0.0.0.0 --port 8000

FROM app AS production
RUN pip install --no-cache-dir -r requirements.txt
