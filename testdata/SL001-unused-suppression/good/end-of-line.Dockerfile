FROM node:22-slim
WORKDIR /app
COPY . .
CMD npm start # shutdownlint: ignore[SL101, SL102] start script sets NODE_OPTIONS, OPS-77
