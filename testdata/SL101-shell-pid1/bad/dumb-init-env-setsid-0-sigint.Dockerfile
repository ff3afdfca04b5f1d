FROM python:3.12-slim
RUN pip install dumb-init uvicorn
ENV DUMB_INIT_SETSID=0
STOPSIGNAL SIGINT
ENTRYPOINT ["dumb-init","--"]
CMD cd /app && uvicorn main:app --host 0.0.0.0
