# shutdownlint: ignore-file[stop-signal-not-graceful] fast stop wanted for this canary
FROM nginx:1.27
STOPSIGNAL SIGTERM
WORKDIR /app
# shutdownlint: ignore[SL101] legacy wrapper, tracked in OPS-412
CMD nginx -g 'daemon off;'
