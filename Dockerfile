# Tessera's image: build everything in one stage, run the server from a production-only install.
# .ci/artifacts.sh reads the runtime stage's `COPY --from=build` lines and assembles the same tree
# without Docker (npm ci --omit=dev, then starts it on a fresh database): a file added to what the
# server needs at run time is added here, once, and CI checks it.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# every workspace's manifest before the install: npm ci needs them all, and the layer is reused
# until a dependency changes
COPY package.json package-lock.json ./
COPY libs/contracts/package.json libs/contracts/package.json
COPY libs/guards/package.json libs/guards/package.json
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/libs/contracts/package.json libs/contracts/package.json
COPY --from=build /app/libs/guards/package.json libs/guards/package.json
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/libs/contracts/dist libs/contracts/dist
COPY --from=build /app/libs/guards/dist libs/guards/dist
COPY --from=build /app/dist/apps/server dist/apps/server
COPY --from=build /app/dist/admin dist/admin
# TESSERA_DATA_DIR: where a first start saves its credentials (a volume in docker-compose.yml)
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
ENV TESSERA_DATA_DIR=/data
USER node
EXPOSE 3000
CMD ["node", "dist/apps/server/main.js"]
