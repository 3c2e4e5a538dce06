// Busy and error state of a user action (a mutation, a download), for the
// button that starts it and the banner that reports what went wrong.

import { useCallback, useState } from 'react';

export interface ActionState<B> {
  /** busy is what is running (the label run was given), or `idle`. */
  busy: B;
  error: unknown;
  setError: (e: unknown) => void;
  /** run clears the error, marks `label` busy, awaits `fn`, keeps what it throws as the error, and marks idle again. */
  run: (label: B, fn: () => Promise<void>) => Promise<void>;
}

/** useAction holds the busy/error state of a user action (a mutation, a download). */
export function useAction<B>(idle: B): ActionState<B> {
  const [busy, setBusy] = useState<B>(idle);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(
    async (label: B, fn: () => Promise<void>) => {
      setError(null);
      setBusy(label);
      try {
        await fn();
      } catch (e) {
        setError(e);
      } finally {
        setBusy(idle);
      }
    },
    [idle],
  );
  return { busy, error, setError, run };
}
