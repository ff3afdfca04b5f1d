# UBI 8 ships bash 4.4 as /bin/sh: before bash 5.1 a `-c` string that is a list is not exec'd,
# so bash stays PID 1 and gunicorn never gets SIGTERM.
FROM registry.access.redhat.com/ubi8/python-39:1-197
WORKDIR /opt/app-root/src
COPY --chown=1001:0 . .
RUN pip install --no-cache-dir -r requirements.txt
EXPOSE 8000
CMD ./prestart.sh && gunicorn --bind 0.0.0.0:8000 --workers 3 app.wsgi:application
