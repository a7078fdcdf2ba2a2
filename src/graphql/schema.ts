import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { mergeResolvers } from '@graphql-tools/merge';
import type { GraphQLSchema } from 'graphql';
import { applyPolicy } from '../auth/policy';
import { checkCacheDeclarations } from '../cache';
import { admissionResolvers } from '../modules/admission/admission.resolvers';
import { dashboardResolvers } from '../modules/dashboard/dashboard.resolvers';
import { patientResolvers } from '../modules/patient/patient.resolvers';
import { wardResolvers } from '../modules/ward/ward.resolvers';
import type { Resolvers } from './generated/resolvers-types';
import { DateTimeScalar } from './scalars';

export const SCHEMA_DIR = join(__dirname, '..', '..', 'schema');

/** The SDL files in schema/, in name order. */
export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** The schema's types without resolvers: enough for what reads only types (the cache's keying). */
export function buildTypeSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs() });
}

/**
 * Builds the executable schema; `extra` lets other capabilities (the cache admin) add resolvers.
 * Fails when a root field has no role (auth/policy.ts) or the cache's dependency declarations
 * do not cover the schema (cache/invalidation/declarations.ts).
 */
export function buildSchema(extra: Resolvers[] = []): GraphQLSchema {
  const resolvers = mergeResolvers([
    { DateTime: DateTimeScalar },
    patientResolvers,
    admissionResolvers,
    wardResolvers,
    dashboardResolvers,
    ...extra,
  ] as Resolvers[]) as Resolvers;
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: applyPolicy(resolvers) });
  checkCacheDeclarations(schema);
  return schema;
}
