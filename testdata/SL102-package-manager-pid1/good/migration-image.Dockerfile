FROM node:22-slim
WORKDIR /app
COPY . .
RUN npm ci
CMD ["npm", "run", "migrate"]
