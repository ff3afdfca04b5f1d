FROM node:22-slim
WORKDIR /app
COPY . .
STOPSIGNAL kill
CMD ["node", "server.js"]
