FROM python:3.12-slim
RUN pip install dumb-init uvicorn
STOPSIGNAL SIGINT
ENTRYPOINT ["dumb-init","--"]
CMD cd /app && uvicorn main:app --host 0.0.0.0
