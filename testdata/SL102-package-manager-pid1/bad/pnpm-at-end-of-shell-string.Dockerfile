FROM node:22-slim
RUN corepack enable
WORKDIR /app
COPY . .
CMD ["sh", "-c", "pnpm install --frozen-lockfile && exec pnpm start"]
