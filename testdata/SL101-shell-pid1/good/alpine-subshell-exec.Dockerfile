FROM node:22-alpine
WORKDIR /app
COPY . .
CMD cd /app && (exec node server.js)
