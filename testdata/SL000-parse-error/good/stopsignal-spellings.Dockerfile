# Every spelling Docker accepts: with or without SIG, any case, a number, real-time signals,
# quotes (removed), and a value from a build argument's default.
FROM debian:bookworm-slim AS base
STOPSIGNAL sigterm
STOPSIGNAL TERM
STOPSIGNAL 15
STOPSIGNAL "SIGRTMIN+3"
STOPSIGNAL SIGRTMAX-1

FROM base
ARG STOP_SIGNAL=SIGTERM
STOPSIGNAL ${STOP_SIGNAL}
CMD ["/usr/local/bin/server"]
