FROM node:22-slim
ENTRYPOINT ["tini","-p","SIGTERM","-g","--"]
CMD ["sh","-c","cd /app && node server.js"]
