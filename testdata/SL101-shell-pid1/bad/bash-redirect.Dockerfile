FROM debian:bookworm-slim
SHELL ["/bin/bash", "-c"]
COPY bin/worker /usr/local/bin/worker
CMD /usr/local/bin/worker --queue default >> /var/log/worker.log 2>&1
