FROM node:22-slim
RUN apt-get update && apt-get install -y catatonit
ENTRYPOINT ["catatonit","--"]
CMD cd /app && node server.js
