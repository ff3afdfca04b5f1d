FROM node:22-slim
CMD ["sh","-c","cd /app && npm start"]
