import { envelop, useEngine, useSchema, type Plugin } from '@envelop/core';
import type { GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import { execute, GraphQLError, parse, printSchema, specifiedRules, subscribe, validate, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { GraphQLContext } from './context';

/**
 * Runs envelop (and so @envelop/response-cache) inside Apollo Server through Apollo's gateway
 * interface: Apollo parses, validates and formats; this executor hands the request's own schema
 * and context objects, unchanged, to envelop's `execute`. Misses are stored before the executor
 * returns, so the next identical request is a hit.
 */
export function createEnvelopGateway(schema: GraphQLSchema, plugins: Plugin[]): GatewayInterface {
  const getEnveloped = envelop({ plugins: [useEngine({ parse, validate, execute, subscribe, specifiedRules }), useSchema(schema), ...plugins] });
  let listener: GatewaySchemaLoadOrUpdateCallback | null = null;
  return {
    onSchemaLoadOrUpdate(callback) {
      listener = callback;
      return () => {
        listener = null;
      };
    },
    async load() {
      listener?.({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return {
        executor: async (request) => {
          // Apollo leaves an unknown or ambiguous operationName to the executor.
          if (!request.operation) {
            const name = request.request.operationName;
            const message = name ? `Unknown operation named "${name}"` : 'Must provide operationName when the document has several operations';
            return { errors: [new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } })] };
          }
          const ctx = request.context as GraphQLContext;
          ctx.cache?.beginExecution(request.operation.operation, request.document, request.operationName);
          const { execute: run } = getEnveloped(ctx);
          const result = (await run({
            schema: request.schema,
            document: request.document,
            contextValue: ctx,
            variableValues: request.request.variables,
            operationName: request.operationName,
          })) as ExecutionResult;
          await ctx.cache?.settled();
          return result;
        },
      };
    },
    async stop() {},
  };
}
