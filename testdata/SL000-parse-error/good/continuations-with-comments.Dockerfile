FROM debian:bookworm-slim
RUN apt-get update \
    # tools for the health check
    && apt-get install -y --no-install-recommends curl ca-certificates \

    && rm -rf /var/lib/apt/lists/*
ENV APP_HOME=/srv/app APP_PORT=8080
LABEL org.opencontainers.image.title="api" \
      org.opencontainers.image.description="multi word \
value"
ONBUILD COPY . /srv/app
STOPSIGNAL SIGTERM
CMD ["/srv/app/bin/api"]
