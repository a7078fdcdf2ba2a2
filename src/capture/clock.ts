/**
 * Whether cached answers may be served, as far as external writes go. Each completed read of the
 * change log moves `through` on: every change committed before it is applied.
 * - `up`: within the bound (`boundMs`, the eviction promise);
 * - `lagging`: past it, but within `failClosedMs`: still served, and reported;
 * - `down`: past `failClosedMs` (the reader died and nobody took over yet, or it cannot reach the
 *   database or Redis): cached answers are not served, every request runs against the database.
 * Two thresholds, not one: on a busy machine a healthy Redis or database answers the reader in
 * hundreds of ms now and then, and turning the cache off at the 1 s bound sent every such hiccup's
 * requests to the database, which slowed the reader further (measured: a hospital day at 1,000
 * users fell from 91% hits to 59%, with 503s). The cache asks on every lookup (no I/O).
 */
export type CaptureState = 'off' | 'up' | 'lagging' | 'down';

export function createCaptureClock(mode: 'auto' | 'off', boundMs: number, failClosedMs = boundMs) {
  let through: number | null = null;
  let error: string | null = null;
  return {
    boundMs,
    applied(at: number) {
      if (through === null || at > through) through = at;
    },
    failed(message: string | null) {
      error = message;
    },
    appliedThrough: () => through,
    /** True once every change committed before `at` is applied; false after `2 × boundMs` without. */
    async settled(at: number): Promise<boolean> {
      if (mode === 'off') return true;
      const giveUpAt = Date.now() + 2 * boundMs;
      while (through === null || through <= at) {
        if (Date.now() > giveUpAt) return false;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return true;
    },
    /** Cached answers may be served (always when capture is off). */
    servable: (): boolean => mode === 'off' || (through !== null && Date.now() - through <= failClosedMs),
    state(): CaptureState {
      if (mode === 'off') return 'off';
      if (through === null) return 'down';
      const age = Date.now() - through;
      if (age <= boundMs) return 'up';
      return age <= failClosedMs ? 'lagging' : 'down';
    },
    /** For /ready and the logs. */
    report() {
      return { state: this.state(), boundMs, failClosedMs, appliedAgeMs: through === null ? null : Date.now() - through, error };
    },
  };
}

export type CaptureClock = ReturnType<typeof createCaptureClock>;
