/**
 * Backpressure: the only import path from outside src/backpressure. A bound on concurrent
 * database work with a short queue, past which work is refused at once (503 + Retry-After at the
 * HTTP door) instead of waiting without bound. No module-level state: the gateway builds one gate.
 *
 *   limiter.ts        createLimiter(): a semaphore with a bounded, prioritised queue and wait
 *   database-gate.ts  createDatabaseGate(): the process's gate (writes first, background share)
 */
export { createLimiter, LimiterRefusal, type Limiter, type LimiterOptions, type Priority, type RefusalReason, type Release } from './limiter';
export { createDatabaseGate, type DatabaseGate, type DatabaseLimits, type Slot } from './database-gate';
