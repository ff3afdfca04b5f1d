FROM python:3.12-slim
RUN pip install dumb-init
STOPSIGNAL SIGINT
ENTRYPOINT ["dumb-init","--single-child","--"]
CMD cd /app && uvicorn main:app --host 0.0.0.0
