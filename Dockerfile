# A small image that runs `bks` (and `bks-sim`) as an unprivileged user.
#
#   docker build -t bks .
#   docker run --rm -v "$PWD:/repo:ro" bks find-keys .            # exit 1 when a key is found
#   docker run --rm -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN -e AWS_REGION bks scan
#
# The first stage packs the package from this clone exactly as `npm pack` does for the registry
# (dist/ with the prebundled Lambda handlers and the type declarations); the image installs only that
# tarball with its runtime dependencies: no sources, no dev dependencies, no build tools.

FROM node:20-alpine AS pack
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm pack --silent --pack-destination /tmp && mv /tmp/bedrock-key-security-*.tgz /tmp/bks.tgz

FROM node:20-alpine
# git: `bks find-keys --git` reads history through it; a mounted repository belongs to another uid.
RUN apk add --no-cache git && git config --system --add safe.directory '*'
COPY --from=pack /tmp/bks.tgz /tmp/bks.tgz
RUN npm install -g --omit=dev --no-audit --no-fund --loglevel=error /tmp/bks.tgz \
  && rm /tmp/bks.tgz && npm cache clean --force
ENV NODE_ENV=production
USER node
WORKDIR /repo
ENTRYPOINT ["bks"]
CMD ["--help"]
