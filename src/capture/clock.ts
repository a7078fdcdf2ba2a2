/**
 * Whether cached answers may be served, as far as external writes go: only while every change
 * committed more than `boundMs` ago is known to be applied. The capture moves it forward; the
 * cache asks it on every lookup (a comparison, no I/O).
 */
export type CaptureState = 'off' | 'up' | 'lagging' | 'down';

export function createCaptureClock(mode: 'auto' | 'off', boundMs: number) {
  let through: number | null = null;
  let error: string | null = null;
  /** A reader that has applied nothing for this long is down, not lagging. */
  const downAfterMs = Math.max(5000, boundMs * 5);
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
    servable: (): boolean => mode === 'off' || (through !== null && Date.now() - through <= boundMs),
    state(): CaptureState {
      if (mode === 'off') return 'off';
      if (through === null) return 'down';
      const age = Date.now() - through;
      if (age <= boundMs) return 'up';
      return age <= downAfterMs && error === null ? 'lagging' : 'down';
    },
    /** For /ready and the logs. */
    report() {
      return { state: this.state(), boundMs, appliedAgeMs: through === null ? null : Date.now() - through, error };
    },
  };
}

export type CaptureClock = ReturnType<typeof createCaptureClock>;
