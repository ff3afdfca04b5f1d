# UBI 9 ships bash 5.1, which execs the last command of a `-c` list: gunicorn replaces the
# shell as PID 1.
FROM registry.access.redhat.com/ubi9/python-311:1-77
WORKDIR /opt/app-root/src
COPY --chown=1001:0 . .
RUN pip install --no-cache-dir -r requirements.txt
EXPOSE 8000
CMD ./prestart.sh && gunicorn --bind 0.0.0.0:8000 --workers 3 app.wsgi:application
