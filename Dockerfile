FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/contracts/package.json libs/contracts/package.json
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/libs/contracts/package.json libs/contracts/package.json
COPY --from=build /app/libs/contracts/dist libs/contracts/dist
RUN npm install --omit=dev --no-audit --no-fund
COPY --from=build /app/dist dist
# TESSERA_DATA_DIR: where a first start saves its credentials (a volume in docker-compose.yml)
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
ENV TESSERA_DATA_DIR=/data
USER node
EXPOSE 3000
CMD ["node", "dist/apps/server/main.js"]
