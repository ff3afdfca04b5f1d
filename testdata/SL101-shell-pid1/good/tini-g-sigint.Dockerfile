FROM python:3.12-slim
RUN apt-get update && apt-get install -y tini
STOPSIGNAL SIGINT
ENTRYPOINT ["tini","-g","--"]
CMD cd /app && uvicorn main:app --host 0.0.0.0
