import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface ReadState<T> {
  data: T | null;
  /** The last read failed (its data, if any, is the previous answer's). */
  error: ApiError | null;
  loading: boolean;
  /** When the shown data arrived (ms since the epoch). */
  at: number | null;
}

/**
 * One panel's data, read now and then every `everyMs` (null: only when asked). The next read is
 * timed from the end of the last, so a slow gateway is never asked twice at once; `refetch()`
 * while a read runs asks for exactly one more afterwards, with the newest `load`.
 */
export function useRead<T>(load: () => Promise<T>, onError: (err: ApiError) => void, everyMs: number | null): [ReadState<T>, () => void] {
  const [state, setState] = useState<ReadState<T>>({ data: null, error: null, loading: true, at: null });
  const latest = useRef(load);
  latest.current = load;
  const running = useRef(false);
  const again = useRef(false);
  const mounted = useRef(true);
  const timer = useRef<number | undefined>(undefined);

  const refetch = useCallback((): void => {
    if (running.current) {
      again.current = true;
      return;
    }
    running.current = true;
    window.clearTimeout(timer.current);
    setState((s) => ({ ...s, loading: true }));
    latest
      .current()
      .then(
        (data) => {
          if (mounted.current) setState({ data, error: null, loading: false, at: Date.now() });
        },
        (err: unknown) => {
          const error = err instanceof ApiError ? err : new ApiError('ERROR', String(err));
          if (mounted.current) setState((s) => ({ ...s, loading: false, error }));
          onError(error);
        },
      )
      .finally(() => {
        running.current = false;
        if (!mounted.current) return;
        if (again.current) {
          again.current = false;
          refetch();
        } else if (everyMs !== null) {
          timer.current = window.setTimeout(refetch, everyMs);
        }
      });
  }, [onError, everyMs]);

  useEffect(() => {
    mounted.current = true;
    refetch();
    return () => {
      mounted.current = false;
      window.clearTimeout(timer.current);
    };
  }, [load, refetch]);
  return [state, refetch];
}
