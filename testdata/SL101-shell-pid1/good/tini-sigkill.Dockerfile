FROM node:22-slim
STOPSIGNAL SIGKILL
ENTRYPOINT ["tini","--"]
CMD cd /app && node server.js
