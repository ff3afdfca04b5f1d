# A build argument whose default is SIGKILL: unless every build passes another value, the
# container is killed at once on every stop.
FROM node:20-slim
ARG STOP_SIGNAL=SIGKILL
WORKDIR /app
COPY . .
STOPSIGNAL ${STOP_SIGNAL}
CMD ["node", "server.js"]
