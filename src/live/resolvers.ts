import { GraphQLError } from 'graphql';
import type { DashboardChange, Resolvers } from '../graphql/generated/resolvers-types';
import { principalOf } from '../graphql/context';
import type { Hub, LiveChange } from './hub';

type Payload = { dashboardChanges: DashboardChange };

/**
 * The changes as GraphQL payloads. A plain iterator, not an async generator: a generator waiting
 * for the next change would only see `return()` (the client left) once another change came.
 */
function payloads(changes: AsyncIterableIterator<LiveChange>): AsyncIterableIterator<Payload> {
  const iterator: AsyncIterableIterator<Payload> = {
    async next() {
      const step = await changes.next();
      if (step.done) return { done: true, value: undefined };
      const { operations, patientIds, at } = step.value;
      return { done: false, value: { dashboardChanges: { operations, patientIds, at: new Date(at) } } };
    },
    async return() {
      await changes.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** `Subscription.dashboardChanges` (its role, viewer, is checked by src/auth/policy.ts). */
export function liveResolvers(hub: Hub): Resolvers {
  return {
    Subscription: {
      dashboardChanges: {
        subscribe: (_parent, _args, ctx) => payloads(hub.subscribe(principalOf(ctx).hospitalId)),
        resolve: (payload: Payload | undefined) => {
          // Only a stream hands a payload; /graphql would run the field like a query field.
          if (!payload?.dashboardChanges) {
            throw new GraphQLError('dashboardChanges is a subscription: open it with POST /graphql/stream and Accept: text/event-stream', { extensions: { code: 'BAD_REQUEST' } });
          }
          return payload.dashboardChanges;
        },
      },
    },
  };
}
