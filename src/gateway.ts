import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenService, type TokenService } from './auth/tokens';
import { createDatabaseGate, type DatabaseGate } from './backpressure';
import type { GatewayConfig } from './config/config';
import { initORM, migrate, type Orm } from './db/orm';
import { createCache, createStore, type ResponseCache } from './cache';
import { cacheOrigin, createCaptureClock, sqliteOriginTrigger, startChangeCapture, type CaptureClock, type ChangeCapture } from './capture';
import { ROOT_FIELD_ROLES } from './auth/policy';
import { createApollo } from './graphql/apollo';
import { createMemoryLedger, createRedisLedger, type JobLedger } from './jobs/ledger';
import { createRewarmer } from './jobs/rewarm';
import { wardMappingDerivation } from './modules/ward/ward-mapping.derive';
import { createScheduler } from './jobs/scheduler';
import { createWarmer, type Warmer, type WarmResult } from './jobs/warmer';
import { WARM_TARGETS } from './jobs/hot-operations';
import { cacheAdminResolvers } from './modules/cache-admin/cache-admin.resolvers';
import { createEnvelopGateway } from './graphql/executor';
import { buildSchema, buildTypeSchema } from './graphql/schema';
import { createGraphQLHandler } from './http/graphql-handler';
import { healthRoute, readyRoute } from './http/health';
import { createHttpServer } from './http/router';
import { Hospital } from './modules/hospital/hospital.entity';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics, type Metrics } from './observability/metrics';
import { createRequestObserver } from './observability/request-log';
import { createFigures, type Figures } from './figures';
import { loadContractOperations } from './contract/operations';
import { createDocumentRegistry } from './contract/documents';
import { createDocumentResolver } from './http/trusted-documents';
import { createLiveChanges } from './live';
import { seedDatabase } from './seed/seed';
import { createUiRoutes, withPlayground } from './ui';
import type { Options } from '@mikro-orm/core';
import type { Plugin } from '@envelop/core';

export interface GatewayOptions {
  logger?: Logger;
  /** Extra MikroORM options (tests add an onQuery counter here). */
  ormOverrides?: Partial<Options>;
  /** Extra envelop plugins, run before the response cache (observability, tests). */
  envelopPlugins?: Plugin[];
  /** False: requests are not recorded in the figures (bench/figures measures what recording costs). */
  recordFigures?: boolean;
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly orm: Orm;
  readonly tokens: TokenService;
  readonly server: Server;
  readonly logger: Logger;
  readonly cache: ResponseCache;
  readonly metrics: Metrics;
  readonly warmer: Warmer;
  /** The bound on concurrent database work (DB_MAX_CONCURRENT, DB_QUEUE_MAX, DB_QUEUE_WAIT_MS). */
  readonly db: DatabaseGate;
  /** Warm runs and job locks, shared through Redis when there is one. */
  readonly ledger: JobLedger;
  readonly scheduler: ReturnType<typeof createScheduler>;
  /** The change capture (null with CHANGE_CAPTURE=off) and whether cached answers may be served. */
  readonly capture: ChangeCapture | null;
  readonly captureClock: CaptureClock;
  /** Per-operation figures of this process, published to Redis once listening (src/figures). */
  readonly figures: Figures;
  /** Listens on config.host:config.port (0 picks a free port) and returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export const DEMO_DATA = { hospitals: 2, wards: 6, patients: 400, events: 8, seed: 1 } as const;

/**
 * Builds everything from one validated config: ORM (migrated, demo data when empty and
 * allowed), schema, Apollo, HTTP routes. Nothing is shared between two gateways.
 */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // Marks this gateway's own writes in the change log: its subscriber evicts them already.
  const origin = cacheOrigin(config.redisUrl, config.cache.redisPrefix);
  const orm = await initORM(config.database, options.ormOverrides, origin);
  await migrate(orm);
  // The connection opened before the migration created the change log has no origin trigger yet.
  if (config.database.kind === 'sqlite') await orm.em.getConnection().execute(sqliteOriginTrigger(origin));
  if (config.demoData && (await orm.em.fork().count(Hospital, {})) === 0) {
    const summary = await seedDatabase(orm, { ...DEMO_DATA, now: new Date() });
    logger.info({ summary }, 'empty database filled with demo data');
  }

  // The cache hears about every committed change through the ORM, whoever made it.
  const metrics = createMetrics();
  const latency = { heartbeat: metrics.redisLatency.labels('heartbeat'), write: metrics.redisLatency.labels('write') };
  const store = await createStore(config, logger, {
    onRedisError: () => metrics.redisErrors.inc(),
    onSlowRead: () => metrics.redisSlowReads.inc(),
    onLatency: (kind, ms) => latency[kind].observe(ms / 1000),
  });
  const ledger = config.redisUrl ? await createRedisLedger(config.redisUrl, config.cache.redisPrefix) : createMemoryLedger();
  // Label children bound once: a hit counts an event, and prom-client hashes labels per call.
  const cacheEvent = new Map<string, { inc(n: number): void }>();
  const onCacheEvent = (event: string, n: number) => {
    if (event === 'verify_mismatch') metrics.verifyMismatches.inc(n);
    let child = cacheEvent.get(event);
    if (!child) cacheEvent.set(event, (child = metrics.cacheEvents.labels(event)));
    child.inc(n);
  };
  // Whether cached answers may be served as far as external writes go: the capture moves it on.
  const captureClock = createCaptureClock(config.changeCapture.mode, config.changeCapture.boundMs, config.changeCapture.failClosedMs);
  // The cache keys by the schema's types only, so it is built before the executable schema,
  // whose admin resolvers use it.
  const cache = createCache({
    store,
    schema: buildTypeSchema(),
    settings: { ttlMs: config.cache.ttlMs, ttlPerCoordinate: config.cache.ttlPerCoordinate, verifyRate: config.cache.verifyRate },
    readerFields: new Set(Object.entries(ROOT_FIELD_ROLES.Query).filter(([, role]) => role === 'viewer').map(([field]) => field)),
    logger,
    onEvent: onCacheEvent,
    derivations: [wardMappingDerivation()],
    servable: captureClock.servable,
    settled: (at) => captureClock.settled(at),
  });
  // Live changes: each invalidation, whoever caused it, is an event of its hospital's streams.
  const live = await createLiveChanges({ typeSchema: buildTypeSchema(), operations: loadContractOperations(), redisUrl: config.redisUrl, redisPrefix: config.cache.redisPrefix, logger });
  cache.onInvalidated((scope, what) => live.invalidated(scope, what));
  // Per-operation figures, shared through Redis (published once the server listens).
  const contractOperations = new Set(loadContractOperations().keys());
  const figures = createFigures({
    redisUrl: config.redisUrl,
    prefix: config.cache.redisPrefix,
    operations: contractOperations,
    publishMs: config.figures.publishMs,
    retainMs: config.figures.retainMs,
    logger,
  });
  cache.onInvalidated((scope) => figures.invalidated(scope));
  const schema = buildSchema([cacheAdminResolvers({ cache, ledger, figures }), live.resolvers]);
  // Two producers of invalidations: the ORM's own writes (synchronous, before a mutation
  // answers), and every committed change read from the database's change log (src/capture),
  // applied before this process serves from the cache.
  orm.em.getEventManager().registerSubscriber(cache.subscriber());
  const capture = await startChangeCapture(config, {
    orm,
    target: cache.invalidation,
    clock: captureClock,
    logger,
    origin,
    onLag: (s) => metrics.captureLag.observe(s),
    onBacklog: (n) => metrics.captureBacklog.set(n),
  }).catch(async (err: unknown) => {
    // Refused at start (declarations out of date, log unreadable): leave nothing open.
    await Promise.allSettled([orm.close(true), store.close(), ledger.close(), live.close(), figures.close()]);
    throw err;
  });
  metrics.bindCapture(captureClock);

  const tokens = createTokenService(config.jwtSecret);
  const apollo = createApollo(createEnvelopGateway(schema, [...(options.envelopPlugins ?? []), cache.plugin()]), logger, config.limits);
  await apollo.start();

  // Overload is refused at the door (503 + Retry-After) instead of queueing on the pool.
  const db = createDatabaseGate(config.backpressure, (reason) => metrics.requestsShed.inc({ reason }));
  for (const reason of ['queue_full', 'timeout', 'displaced'] as const) metrics.requestsShed.inc({ reason }, 0);
  metrics.bindDatabaseGate(db);

  // Warming: on demand (admin), on schedule (cron), and shortly after writes evict hot answers.
  // Scheduled warms and re-warms run in the gate's background share; the admin's warmCache runs
  // inside its own request's slot, so its warmer takes none (a second slot could deadlock).
  const warmerDeps = {
    apollo,
    orm,
    cache,
    ledger,
    logger,
    onWarm: (r: WarmResult) => {
      metrics.warmRuns.inc({ target: r.target, outcome: r.ok ? 'ok' : 'failed' });
      metrics.warmDuration.observe({ target: r.target }, r.durationMs / 1000);
    },
  };
  // Every series an alert rule watches exists from the start (ops/alerts.yml: increase() of a
  // counter that never appeared would stay silent on its first failure).
  for (const target of WARM_TARGETS) for (const outcome of ['ok', 'failed']) metrics.warmRuns.inc({ target, outcome }, 0);
  const warmer = createWarmer({ ...warmerDeps, limit: db.background });
  const requestWarmer = createWarmer(warmerDeps);
  const rewarmer = createRewarmer(warmer, logger, config.cache.rewarmDelayMs);
  cache.onInvalidated((scope) => rewarmer.schedule(scope));
  const scheduler = createScheduler({ orm, warmer, ledger, logger }, config.jobs);

  // Scrape-time values: the store is asked only when Prometheus asks.
  metrics.bindCache({
    up: () => store.state() === 'up',
    entries: async () => (await Promise.all(cache.scopes().map((scope) => store.entries(scope)))).reduce((a, b) => a + b, 0),
  });

  // Browser pages: the GraphiQL playground (a browser's GET /graphql) and the cache console (/admin).
  const ui = createUiRoutes();
  const server = createHttpServer(
    {
      '/graphql': withPlayground(createGraphQLHandler({
        apollo,
        orm,
        tokens,
        cache,
        warmer: requestWarmer,
        logger,
        maxBodyBytes: config.limits.maxBodyBytes,
        trustedDocumentsOnly: config.http.trustedDocumentsOnly,
        observe: createRequestObserver(metrics, logger, contractOperations, options.recordFigures === false ? null : figures),
        db,
      }), ui.playground),
      '/graphql/stream': live.route({
        schema,
        orm,
        tokens,
        documents: createDocumentResolver({ registry: createDocumentRegistry(), only: config.http.trustedDocumentsOnly }),
        maxBodyBytes: config.limits.maxBodyBytes,
        maxStreams: config.live.maxStreams,
        metrics: { onStreams: (n) => metrics.liveStreams.inc(n), onRefused: (reason) => metrics.liveRefused.inc({ reason }), onEventSent: () => metrics.liveEvents.inc() },
      }),
      ...ui.routes,
      '/health': healthRoute,
      '/ready': readyRoute(orm, () => ({ backend: store.backend, state: store.state() }), () => ({ ...captureClock.report(), reader: capture?.leading() ?? false })),
      '/metrics': async (_req, res) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
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
    metrics,
    warmer,
    db,
    ledger,
    scheduler,
    capture,
    captureClock,
    figures,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          void figures.start();
          resolve(`http://${config.host}:${port}`);
        });
      }),
    /** Stops accepting, lets in-flight requests finish, stops the jobs, then closes every pool. */
    async close() {
      await scheduler.stop();
      await capture?.close();
      rewarmer.close();
      await live.endStreams(); // or the server would wait for them
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections(); // keep-alive sockets with no request in flight
        await closed;
      }
      await apollo.stop();
      await figures.close(); // a last publication, with the last requests
      await live.close(); // after the last request's invalidation was published
      await orm.close(true);
      await store.close();
      await ledger.close();
    },
  };
}
