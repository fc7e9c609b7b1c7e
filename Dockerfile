# The project image, used by every `reports` service in docker-compose.yml: `reports worker` by
# default, `reports relay`, `reports sync`, … by command. The image is the README's install (`npm
# ci`, here without dev dependencies) plus the source compiled to dist/ (scripts/build.mjs), which
# bin/reports.js runs. scripts/validate-compose.ts checks this file.
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}

# MALLOC_ARENA_MAX: as bin/reports.js sets it (two glibc arenas, not eight per core: less memory kept).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    REPORTS_SCHEDULES_DIR=/app/schedules \
    REPORTS_ARCHIVE_DIR=/archive

WORKDIR /app

# Dependencies first, so a change to the source does not reinstall them. --ignore-scripts: npm ci
# would run the project's own `prepare` (the build) before the source is here; it runs below.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

COPY bin ./bin
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
# Compiled as root, before USER: the processes cannot write /app, and need not (dist/ is current).
RUN npm run build
COPY schedules ./schedules

# The archive (a volume shared by the workers: a new named volume takes this folder's owner) and
# the local staging folder belong to the unprivileged user the processes run as.
RUN mkdir -p /archive /app/.data/staging && chown -R node:node /archive /app/.data
USER node

# The webhook relay's port (`reports relay`); /healthz listens on loopback (9464 worker, 9465 relay).
EXPOSE 8787

# SIGTERM (docker stop) lets the worker drain: it stops polling and lets in-flight activities
# finish or hand back. Run with an init (compose: `init: true`) so signals reach node through npx.
STOPSIGNAL SIGTERM
CMD ["npx", "reports", "worker"]
