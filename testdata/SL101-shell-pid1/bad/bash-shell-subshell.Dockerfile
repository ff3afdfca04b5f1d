FROM node:22-slim
SHELL ["/bin/bash", "-c"]
WORKDIR /app
COPY . .
CMD cd /app && (node server.js)
