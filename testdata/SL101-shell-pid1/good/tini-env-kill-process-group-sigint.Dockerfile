FROM python:3.12-slim
RUN apt-get update && apt-get install -y tini
# tini signals the whole group: uvicorn gets SIGINT itself and drains
ENV TINI_KILL_PROCESS_GROUP=1
STOPSIGNAL SIGINT
ENTRYPOINT ["tini","--"]
CMD cd /app && uvicorn main:app --host 0.0.0.0
