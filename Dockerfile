# syntax=docker/dockerfile:1
# One image for the operator and every task runner. A build stage bundles the TypeScript entry points
# with rolldown (scripts/build.ts → dist/); the image holds that bundle, the production dependencies
# it leaves external (sharp with its native binaries for the build platform, pdfkit, pg, the AWS
# SDK) and nothing else.
# The entrypoint is the task runner (what the operator's Jobs run); the operator's Deployment sets
# its own command: node --max-semi-space-size=4 dist/operator.js (the HTTP API's: node dist/http-api.js).
ARG NODE_IMAGE=node:24-bookworm-slim

# The bundle, built with the development dependencies (rolldown).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install --no-save` rather than `npm ci`: the lockfile is written on machines whose registry
# lacks some platforms' optional builds, and `npm ci` refuses a lockfile without them.
RUN npm install --no-save --no-audit --no-fund --loglevel=error
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN node scripts/build.ts

# Production dependencies. Debian (glibc) on purpose: npm picks @img/sharp-linux-<arch> and
# @img/sharp-libvips-linux-<arch> for glibc; an Alpine (musl) base would need the linuxmusl ones.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-save --no-audit --no-fund --loglevel=error \
 && node -e "require('sharp')" \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# 65532 is the conventional "nonroot" uid; the chart runs with runAsNonRoot and a read-only root
# filesystem (temporary files go to an emptyDir on /tmp).
USER 65532:65532
ENTRYPOINT ["node", "dist/runner.js"]
