import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Answer } from './api';
import { ApiError } from './api';

export interface ReadState<T> {
  answer: Answer<T> | null;
  /** A fetch is running (the panel shows "updating"). */
  loading: boolean;
  error: ApiError | null;
}

/**
 * One panel's data. `refetch()` while a fetch runs asks for exactly one more afterwards (the
 * newest `load`, e.g. after a filter change), so bursts of live events cost at most two reads.
 */
export function useRead<T>(load: () => Promise<Answer<T>>, onError: (err: ApiError) => void): [ReadState<T>, () => void] {
  const [state, setState] = useState<ReadState<T>>({ answer: null, loading: false, error: null });
  const latest = useRef(load);
  latest.current = load;
  const running = useRef(false);
  const again = useRef(false);

  const refetch = useCallback((): void => {
    if (running.current) {
      again.current = true;
      return;
    }
    running.current = true;
    setState((s) => ({ ...s, loading: true }));
    latest
      .current()
      .then(
        (answer) => setState({ answer, loading: false, error: null }),
        (err: unknown) => {
          const error = err instanceof ApiError ? err : new ApiError('ERROR', String(err));
          setState((s) => ({ ...s, loading: false, error }));
          onError(error);
        },
      )
      .finally(() => {
        running.current = false;
        if (again.current) {
          again.current = false;
          refetch();
        }
      });
  }, [onError]);

  useEffect(() => refetch(), [load, refetch]);
  return [state, refetch];
}
