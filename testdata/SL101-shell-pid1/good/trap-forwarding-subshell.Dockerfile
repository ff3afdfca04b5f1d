FROM node:22-slim
WORKDIR /app
COPY . .
CMD ["sh", "-c", "trap 'kill -TERM $child; wait $child' TERM INT; (node server.js) & child=$!; wait $child; echo stopped"]
