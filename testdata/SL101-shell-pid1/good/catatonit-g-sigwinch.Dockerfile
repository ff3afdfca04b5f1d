FROM httpd:2.4
RUN apt-get update && apt-get install -y catatonit
STOPSIGNAL SIGWINCH
ENTRYPOINT ["catatonit","-g","--"]
CMD cd /usr/local/apache2 && httpd -DFOREGROUND
