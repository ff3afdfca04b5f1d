FROM python:3.12-slim
RUN apt-get update && apt-get install -y tini
# `env` gives tini TINI_KILL_PROCESS_GROUP: it signals the whole group, uvicorn drains
STOPSIGNAL SIGINT
ENTRYPOINT ["env", "TINI_KILL_PROCESS_GROUP=1", "tini", "--"]
CMD cd /app && uvicorn main:app --host 0.0.0.0
