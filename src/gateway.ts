import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createTokenService, type TokenService } from './auth/tokens';
import type { GatewayConfig } from './config/config';
import { initORM, migrate, type Orm } from './db/orm';
import { createStore } from './cache/create-store';
import { CacheInvalidationSubscriber } from './cache/invalidation.subscriber';
import { createResponseCache, type ResponseCache } from './cache/response-cache';
import { createApollo } from './graphql/apollo';
import { createEnvelopGateway } from './graphql/executor';
import { buildSchema } from './graphql/schema';
import { createGraphQLHandler } from './http/graphql-handler';
import { healthRoute, readyRoute } from './http/health';
import { createHttpServer } from './http/router';
import { Hospital } from './modules/hospital/hospital.entity';
import { createLogger, type Logger } from './observability/logger';
import { seedDatabase } from './seed/seed';
import type { Options } from '@mikro-orm/core';
import type { Plugin } from '@envelop/core';

export interface GatewayOptions {
  logger?: Logger;
  /** Extra MikroORM options (tests add an onQuery counter here). */
  ormOverrides?: Partial<Options>;
  /** Extra envelop plugins, run before the response cache (observability, tests). */
  envelopPlugins?: Plugin[];
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly orm: Orm;
  readonly tokens: TokenService;
  readonly server: Server;
  readonly logger: Logger;
  readonly cache: ResponseCache;
  /** Listens on config.host:config.port (0 picks a free port) and returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export const DEMO_DATA = { hospitals: 2, wards: 6, patients: 400, events: 8, seed: 1 } as const;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Builds everything from one validated config: ORM (migrated, demo data when empty and
 * allowed), schema, Apollo, HTTP routes. Nothing is shared between two gateways.
 */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const orm = await initORM(config.database, options.ormOverrides);
  await migrate(orm);
  if (config.demoData && (await orm.em.fork().count(Hospital, {})) === 0) {
    const summary = await seedDatabase(orm, { ...DEMO_DATA, now: new Date() });
    logger.info({ summary }, 'empty database filled with demo data');
  }

  // The cache hears about every committed change through the ORM, whoever made it.
  const store = await createStore(config, logger);
  const cache = createResponseCache(store, config.cache);
  orm.em.getEventManager().registerSubscriber(new CacheInvalidationSubscriber(cache.invalidation));

  const tokens = createTokenService(config.jwtSecret);
  const schema = buildSchema();
  const apollo = createApollo(createEnvelopGateway(schema, [...(options.envelopPlugins ?? []), cache.plugin(schema)]), logger);
  await apollo.start();

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });

  const server = createHttpServer(
    {
      '/graphql': createGraphQLHandler({ apollo, orm, tokens, cache, maxBodyBytes: MAX_BODY_BYTES }),
      '/health': healthRoute,
      '/ready': readyRoute(orm, () => ({ backend: store.backend, state: store.state() })),
      '/metrics': async (_req, res) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(await metrics.metrics());
      },
    },
    logger,
  );

  return {
    config,
    orm,
    tokens,
    server,
    logger,
    cache,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          resolve(`http://${config.host}:${port}`);
        });
      }),
    async close() {
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
      await orm.close(true);
      await store.close();
    },
  };
}
