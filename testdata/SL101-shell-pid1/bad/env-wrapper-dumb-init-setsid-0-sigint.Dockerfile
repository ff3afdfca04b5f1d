FROM python:3.12-slim
RUN pip install dumb-init
STOPSIGNAL SIGINT
ENTRYPOINT ["env", "DUMB_INIT_SETSID=0", "dumb-init", "--"]
CMD cd /app && uvicorn main:app --host 0.0.0.0
