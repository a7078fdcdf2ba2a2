/**
 * What readers and writers share: the client, the model, the checker, the gateways, the tokens,
 * the deadline, and the set of (operation, variables) pairs read so far (compared again at
 * quiescence).
 */
import type { Checker } from './checker';
import type { Client, Endpoint } from './client';
import type { Model } from './model';
import type { Random } from './random';
import type { RunStats } from './report';

export interface LoadContext {
  client: Client;
  model: Model;
  checker: Checker;
  stats: RunStats;
  /** The gateway processes sharing the cache (not the oracle). */
  gateways: Endpoint[];
  viewer: string;
  clinician: string;
  writers: number;
  /** performance.now() after which no new read or write starts. */
  deadline: number;
  /** Every (operation, variables) read, as `operation\0JSON`. */
  readKeys: Set<string>;
}

export function readKey(operation: string, variables: Record<string, unknown>): string {
  return `${operation}\0${JSON.stringify(variables)}`;
}

export function pickGateway(ctx: LoadContext, rng: Random): Endpoint {
  return rng.pick(ctx.gateways);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
