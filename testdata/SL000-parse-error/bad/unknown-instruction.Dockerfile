FROM node:22-slim
WORKDIR /app
COPY package*.json ./
RUNN npm ci
CMD ["node", "server.js"]
