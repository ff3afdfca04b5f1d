# Amazon Linux 2's /bin/sh is bash 4.2 (Amazon Linux 2023 has 5.2).
FROM public.ecr.aws/amazonlinux/amazonlinux:2
RUN yum install -y python3 && yum clean all && pip3 install gunicorn
WORKDIR /srv/app
COPY . .
CMD ./prestart.sh; gunicorn --bind 0.0.0.0:8000 app.wsgi
