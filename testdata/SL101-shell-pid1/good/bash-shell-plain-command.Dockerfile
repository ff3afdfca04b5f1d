FROM registry.access.redhat.com/ubi9/ubi-minimal
COPY bin/api /usr/local/bin/api
CMD /usr/local/bin/api --listen :8080
