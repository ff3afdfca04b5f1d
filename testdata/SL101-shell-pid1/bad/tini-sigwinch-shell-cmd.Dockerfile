FROM httpd:2.4
RUN apt-get update && apt-get install -y tini
STOPSIGNAL SIGWINCH
ENTRYPOINT ["tini","--"]
CMD cd /usr/local/apache2 && httpd -DFOREGROUND
