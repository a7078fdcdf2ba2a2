# wardcache gateway. `npm start` runs `tsx src/main.ts`; tsx is a runtime dependency,
# so a production install (no devDependencies) is all the image needs.
FROM node:20-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app
RUN chown node:node /app
USER node

# patches/: fixes to dependencies, applied by the postinstall script (patch-package).
COPY --chown=node:node package.json package-lock.json .npmrc ./
COPY --chown=node:node patches ./patches
RUN npm install --omit=dev && npm cache clean --force

COPY --chown=node:node tsconfig.json ./
COPY --chown=node:node schema ./schema
COPY --chown=node:node migrations ./migrations
COPY --chown=node:node src ./src

EXPOSE 4000

# /health answers 200 while the process is up (node:20-slim has neither wget nor curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# The same command as `npm start` (tsx src/main.ts), run directly: npm does not pass SIGTERM on to
# the gateway (it exits and leaves tsx orphaned), while tsx relays it, so `docker stop` reaches
# main.ts's shutdown handler and the gateway closes its database and cache connections cleanly.
CMD ["node_modules/.bin/tsx", "src/main.ts"]
