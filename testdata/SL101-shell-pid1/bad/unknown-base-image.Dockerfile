ARG BASE=registry.example.com/platform/base-node:2024.10
FROM ${BASE}
WORKDIR /app
COPY . .
CMD node dist/main.js
