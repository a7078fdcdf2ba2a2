import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../observability/logger';
import { isDatabaseUnavailable } from '../db/availability';
import { MISS } from '../cache';
import { CacheInvalidationPendingError, DatabaseUnavailableError, ErrorCode } from '../errors/errors';
import type { GraphQLContext } from './context';
import { costLimitPlugin, limitRules, type QueryLimits } from './limits';

/**
 * Errors with a code of their own (the gateway's, Apollo's validation) pass through; anything
 * else (a driver error, a bug) reaches the client as a bare INTERNAL_SERVER_ERROR, with no
 * message detail, stack or SQL; willSendResponse adds the request id the logs carry.
 */
/**
 * graphql-js stops coercing variables after 50 errors with one error of its own, which names no
 * variable, so Apollo does not recognise it as the client's and would mask it as internal.
 */
const TOO_MANY_VARIABLE_ERRORS = 'Too many errors processing variables, error limit reached. Execution aborted.';

function formatError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.message === TOO_MANY_VARIABLE_ERRORS) return { message: formatted.message, extensions: { code: ErrorCode.BadUserInput } };
  const code = formatted.extensions?.code;
  if (code && code !== ErrorCode.InternalServerError) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.InternalServerError } };
}

export function createApollo(gateway: GatewayInterface, logger: Logger, limits: QueryLimits & { introspection: boolean }): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>({
    gateway,
    // The gateway stops Apollo itself, in order, on SIGTERM (src/main.ts). Apollo's own handler
    // (on by default in production) would stop it and re-raise the signal, killing the process
    // before requests in flight finished and the pools closed.
    stopOnTerminationSignals: false,
    introspection: limits.introspection,
    validationRules: limitRules(limits),
    // One operation per request: a batch is refused with a 400 (GraphQL batching is off).
    allowBatchedHttpRequests: false,
    // The contract's clients send whole documents; no persisted-query protocol to abuse.
    persistedQueries: false,
    // Auth is a bearer header only (no cookies), so a cross-site request carries no credentials:
    // CSRF prevention would only block the contract's plain `GET /graphql?query=…`.
    csrfPrevention: false,
    includeStacktraceInErrorResponses: false,
    formatError,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Apollo's cache-control plugin hooks every resolved field (~15,000 on a 1,000-bed ward
      // map) to compute hints this schema never gives: its answer was always `no-store`, which
      // willSendResponse below now sets, so the HTTP answer is unchanged.
      ApolloServerPluginCacheControlDisabled(),
      costLimitPlugin(limits),
      {
        async requestDidStart() {
          return {
            async willSendResponse({ response, contextValue }) {
              if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
              if (response.body.kind !== 'single') return;
              const result = response.body.singleResult;
              // Every answer says whether it came from the cache (contract: extensions.cache).
              result.extensions = { ...result.extensions, cache: contextValue.cache?.extension() ?? MISS };
              // A committed write whose eviction the shared cache did not confirm: the data
              // stands, and the client is told (README: "When the cache cannot confirm a write").
              if (contextValue.writes.unconfirmed > 0) {
                const pending = new CacheInvalidationPendingError(contextValue.requestId);
                result.errors = [...(result.errors ?? []), { message: pending.message, extensions: pending.extensions }];
              }
              // A masked internal error carries the request id the logs have; a database outage says so.
              result.errors = result.errors?.map((e) =>
                e.extensions?.code !== ErrorCode.InternalServerError
                  ? e
                  : contextValue.signals.databaseUnavailable
                    ? { ...e, message: new DatabaseUnavailableError(contextValue.requestId).message, extensions: { code: ErrorCode.ServiceUnavailable, requestId: contextValue.requestId } }
                    : { ...e, extensions: { ...e.extensions, requestId: contextValue.requestId } },
              );
            },
            async didEncounterErrors({ errors, contextValue }) {
              contextValue.signals.errors += errors.length;
              for (const err of errors) {
                const original = unwrapResolverError(err);
                // Deliberate errors carry their own code; everything else is a fault to log.
                const code = original instanceof GraphQLError ? original.extensions?.code : undefined;
                if (code && code !== ErrorCode.InternalServerError) continue;
                const cause = original instanceof GraphQLError ? (original.originalError ?? original) : original;
                if (isDatabaseUnavailable(cause)) {
                  contextValue.signals.databaseUnavailable = true;
                  logger.warn({ err: (cause as Error).message, requestId: contextValue.requestId }, 'database unavailable');
                } else {
                  logger.error({ err: cause, requestId: contextValue.requestId }, 'internal error while executing an operation');
                }
              }
            },
          };
        },
      },
    ],
  });
}
