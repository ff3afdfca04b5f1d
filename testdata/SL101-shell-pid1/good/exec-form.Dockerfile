FROM node:22-slim AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build
CMD npm run dev

FROM node:22-slim
WORKDIR /app
COPY --from=build /app/dist ./dist
COPY --from=build /app/node_modules ./node_modules
USER node
CMD ["node", "dist/server.js"]
