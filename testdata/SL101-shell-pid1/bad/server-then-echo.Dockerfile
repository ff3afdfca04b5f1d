FROM node:22-slim
WORKDIR /app
COPY . .
CMD node server.js; echo stopped
