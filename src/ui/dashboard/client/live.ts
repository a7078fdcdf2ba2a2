import { createClient, type RequestParams } from 'graphql-sse';
import type { DashboardConfig } from './config';
import type { DashboardChange } from './types';

export type LiveState = 'connecting' | 'live' | 'offline';

export interface LiveHandlers {
  /** The stream is open: a first connect or a reconnect (events are not replayed: refetch all). */
  onConnected(): void;
  onChange(change: DashboardChange): void;
  onState(state: LiveState): void;
  /** The stream was refused (e.g. UNAUTHENTICATED): not retried. */
  onFatal(message: string): void;
}

const RETRY_MS = 3000;

/**
 * Follows the DashboardChanges subscription on POST /graphql/stream with graphql-sse's client
 * (distinct connections mode), sent by its trusted-document id. Reconnects by itself; returns a
 * function that stops it.
 */
export function followChanges(config: DashboardConfig, token: string, handlers: LiveHandlers): () => void {
  const client = createClient({
    url: config.streamEndpoint,
    singleConnection: false,
    headers: { authorization: `Bearer ${token}` },
    retryAttempts: 1_000_000,
    retry: () => new Promise((resolve) => setTimeout(resolve, RETRY_MS)),
  });
  // The gateway resolves `documentId` to the operation's text; graphql-sse's type asks for `query`,
  // which must then be absent (an id together with text is refused).
  const request = { documentId: config.documents.DashboardChanges, operationName: 'DashboardChanges' } as unknown as RequestParams;
  let stopped = false;
  let unsubscribe: () => void = () => undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const start = (): void => {
    handlers.onState('connecting');
    unsubscribe = client.subscribe<{ dashboardChanges: DashboardChange }>(
      request,
      {
        next: (result) => {
          if (result.errors?.length) {
            handlers.onFatal(result.errors[0]?.message ?? 'live changes refused');
            return;
          }
          if (result.data) handlers.onChange(result.data.dashboardChanges);
        },
        error: (err) => {
          if (stopped) return;
          handlers.onState('offline');
          const message = err instanceof Error ? err.message : String(err);
          if (/\b401\b|UNAUTHENTICATED/.test(message)) return handlers.onFatal(message);
          timer = setTimeout(start, RETRY_MS);
        },
        // The gateway ends streams when it shuts down: open a new one.
        complete: () => {
          if (stopped) return;
          handlers.onState('offline');
          timer = setTimeout(start, RETRY_MS);
        },
      },
      {
        connected: () => {
          handlers.onState('live');
          handlers.onConnected();
        },
      },
    );
  };
  start();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    unsubscribe();
    client.dispose();
  };
}
