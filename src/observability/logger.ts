import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; one logger per gateway so tests can silence or capture their own. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'wardcache' } });
}
