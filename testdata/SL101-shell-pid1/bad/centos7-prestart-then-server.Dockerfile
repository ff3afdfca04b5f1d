# CentOS 7's /bin/sh is bash 4.2: it forks the last command of `a && b`.
FROM centos:7
RUN yum install -y python3 && yum clean all && pip3 install gunicorn
WORKDIR /srv/app
COPY . .
CMD ./prestart.sh && gunicorn --bind 0.0.0.0:8000 app.wsgi
