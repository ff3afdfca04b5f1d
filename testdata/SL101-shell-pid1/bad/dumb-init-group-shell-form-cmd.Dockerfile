FROM node:22-slim
ENTRYPOINT ["dumb-init","--"]
CMD node server.js
