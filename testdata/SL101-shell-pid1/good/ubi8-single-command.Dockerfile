# Every bash, 4.4 included, execs a `-c` string that is a single simple command.
FROM registry.access.redhat.com/ubi8/python-39:1-197
WORKDIR /opt/app-root/src
COPY --chown=1001:0 . .
RUN pip install --no-cache-dir -r requirements.txt
CMD gunicorn --bind 0.0.0.0:8000 --workers 3 app.wsgi:application
