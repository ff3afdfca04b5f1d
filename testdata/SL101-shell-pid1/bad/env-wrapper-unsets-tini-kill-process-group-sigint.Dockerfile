FROM python:3.12-slim
RUN apt-get update && apt-get install -y tini
ENV TINI_KILL_PROCESS_GROUP=1
STOPSIGNAL SIGINT
ENTRYPOINT ["env", "-u", "TINI_KILL_PROCESS_GROUP", "tini", "--"]
CMD cd /app && uvicorn main:app --host 0.0.0.0
