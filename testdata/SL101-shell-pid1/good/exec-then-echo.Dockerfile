FROM node:22-slim
WORKDIR /app
COPY . .
CMD exec node server.js; echo stopped
