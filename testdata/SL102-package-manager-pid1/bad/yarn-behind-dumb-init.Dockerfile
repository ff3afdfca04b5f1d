FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends dumb-init && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN yarn install --frozen-lockfile && yarn build
ENTRYPOINT ["dumb-init", "--"]
CMD ["yarn", "run", "serve"]
