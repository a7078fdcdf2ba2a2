/**
 * Live changes: the DashboardChanges subscription over Server-Sent Events. The only import path
 * from outside src/live.
 *
 *   changes.ts    what an invalidation changed for the contract's operations (derived from the
 *                 cache's own declarations and the operations' selections)
 *   hub.ts        this process's open subscriptions, by hospital
 *   bus.ts        changes between processes: Redis pub/sub under the key prefix, or local
 *   resolvers.ts  Subscription.dashboardChanges
 *   route.ts      POST /graphql/stream: token, body, bound on streams, graphql-sse's handler
 *
 * One event per invalidation that changed an answer of the contract's operations, whichever
 * producer evicted it (the ORM subscriber for the gateway's own writes, the change capture for
 * every other committed write, an admin's invalidation); `at` is the commit time.
 */
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../observability/logger';
import { createLocalBus, createRedisBus, type ChangeBus } from './bus';
import { createChangeInterpreter, everything, type Invalidated } from './changes';
import { createHub, type LiveChange } from './hub';
import { liveResolvers } from './resolvers';
import { createStreamRoute, type StreamRoute, type StreamRouteDeps } from './route';

export { LIVE_OPERATIONS, type Invalidated, type LiveOperation } from './changes';
export type { LiveChange } from './hub';
export { STREAM_RETRY_AFTER_S } from './route';

export interface LiveChangesOptions {
  /** The schema's types: the contract's operations are read against it. */
  typeSchema: GraphQLSchema;
  /** The contract's operations, name → text (src/contract/operations.ts). */
  operations: ReadonlyMap<string, string>;
  /** Set: changes travel between processes through this Redis. */
  redisUrl: string | null;
  redisPrefix: string;
  logger: Logger;
}

/** The stream route's dependencies, its three counters grouped as `metrics`; the logger is the module's. */
type RouteMetrics = Pick<StreamRouteDeps, 'onStreams' | 'onRefused' | 'onEventSent'>;
export type LiveRouteOptions = Omit<StreamRouteDeps, keyof RouteMetrics | 'logger'> & { metrics: RouteMetrics };

export async function createLiveChanges(options: LiveChangesOptions) {
  const { logger } = options;
  const interpret = createChangeInterpreter(options.typeSchema, options.operations);
  const hub = createHub();
  const bus: ChangeBus = options.redisUrl
    ? await createRedisBus({
        url: options.redisUrl,
        prefix: options.redisPrefix,
        deliver: hub.deliver,
        // Changes published while this process was not listening: tell every open stream.
        onGap: () => {
          const at = Date.now();
          for (const hospitalId of hub.hospitals()) hub.deliver({ ...everything(), hospitalId, at });
        },
        logger,
      })
    : createLocalBus(hub.deliver);
  let route: StreamRoute | null = null;

  return {
    /** `Subscription.dashboardChanges`, for the executable schema. */
    resolvers: liveResolvers(hub),

    /**
     * The cache's invalidation listener: publishes what it changed. Never throws (it runs
     * inside the invalidation, whose failure would report the write as unconfirmed).
     */
    invalidated(hospitalId: number, what: Invalidated): void {
      try {
        const summary = interpret(what);
        if (summary) bus.publish({ hospitalId, at: what.committedAt ?? Date.now(), ...summary } satisfies LiveChange);
      } catch (err) {
        logger.error({ err, hospitalId }, 'live changes: could not publish an invalidation');
      }
    },

    /** The `POST /graphql/stream` route, once the executable schema exists. */
    route(deps: LiveRouteOptions): StreamRoute['route'] {
      const routeDeps: StreamRouteDeps = { ...deps, ...deps.metrics, logger };
      route = createStreamRoute(routeDeps);
      return route.route;
    },

    /** Completes every stream (before the server closes, or it would wait for them); new ones get 503. */
    async endStreams(): Promise<void> {
      hub.close();
      await route?.close();
    },

    /** Then, once no request runs any more (their invalidations are published), the connections. */
    async close(): Promise<void> {
      hub.close();
      await route?.close();
      await bus.close();
    },
  };
}

export type LiveChanges = Awaited<ReturnType<typeof createLiveChanges>>;
