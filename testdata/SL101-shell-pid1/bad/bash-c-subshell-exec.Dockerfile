FROM node:22-slim
WORKDIR /app
COPY . .
CMD ["bash", "-c", "(exec node server.js)"]
