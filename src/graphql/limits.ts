import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, isListType, Kind, isNonNullType, type GraphQLOutputType, type ValidationContext, type ValidationRule } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { ErrorCode } from '../errors/errors';
import type { GraphQLContext } from './context';

export interface QueryLimits {
  /** Deepest selection nesting. Default 10 (the contract's deepest operation has 5). */
  maxDepth: number;
  /** Aliases per operation. Default 15. */
  maxAliases: number;
  /** Estimated cost: each field 1, a list multiplies its items by its `limit` argument (or 20). */
  maxCost: number;
}

export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 10, maxAliases: 15, maxCost: 100_000 };

/** Items assumed for a list without a `limit` argument (wards of a hospital, tags of a patient…). */
const ASSUMED_LIST_SIZE = 20;

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** Lists weigh their `limit`: `recentPatients(limit: 100)` costs 100 times its selection. */
const listEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!isList(field.type)) return childComplexity + 1;
  const limit = typeof args.limit === 'number' && args.limit > 0 ? args.limit : ASSUMED_LIST_SIZE;
  return limit * (childComplexity + 1);
};

const tooLarge = (message: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BadUserInput, http: { status: 400 } } });

/**
 * Depth and alias limits, checked while Apollo validates the document. graphql-armor throws by
 * default (a 500 in Apollo); reported as validation errors they become a clear 400.
 */
export function limitRules(limits: QueryLimits): ValidationRule[] {
  const report = {
    propagateOnRejection: false,
    onReject: [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(new GraphQLError(err.message.replace(/^Syntax Error: /, '')))],
  };
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, exposeLimits: true, ...report }),
    maxAliasesRule({ n: limits.maxAliases, exposeLimits: true, ...report }),
  ];
}

/** The cost limit needs the request's variables (a `limit` may be a variable), so it runs once the operation is resolved. */
export function costLimitPlugin(limits: QueryLimits): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operationName, operation }) {
          // Introspection (the playground's schema query) is bounded by the schema, not by data.
          if (operation?.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'))) return;
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: operationName ?? undefined,
              variables: request.variables ?? {},
              estimators: [listEstimator],
            });
          } catch {
            return; // variable errors are Apollo's to report
          }
          if (cost > limits.maxCost) {
            throw tooLarge(`Operation cost ${cost} exceeds the limit of ${limits.maxCost}; ask for fewer items or fields`);
          }
        },
      };
    },
  };
}

