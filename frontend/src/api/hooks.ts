// React glue for the API: a query hook with loading/error state that cancels
// stale requests, an action hook for mutations and downloads, and the
// schema-feature probe.

import { useCallback, useEffect, useRef, useState } from 'react';
import { gql } from './client';
import { FEATURES } from './queries';

export interface QueryState<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** useQuery runs `query` whenever `key` (a string of its inputs) changes; `skip` holds it back. */
export function useQuery<T>(query: string, variables: Record<string, unknown>, key: string, skip = false): QueryState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(!skip);
  const [tick, setTick] = useState(0);
  const varsRef = useRef(variables);
  varsRef.current = variables;
  useEffect(() => {
    if (skip) {
      setLoading(false);
      return;
    }
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    gql<T>(query, varsRef.current, { signal: ctrl.signal })
      .then((d) => {
        if (!ctrl.signal.aborted) {
          setData(d);
          setLoading(false);
        }
      })
      .catch((e) => {
        if (!ctrl.signal.aborted) {
          setError(e);
          setLoading(false);
        }
      });
    return () => ctrl.abort();
  }, [query, key, tick, skip]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

// The UI never asks for a looked-up number's block and offset, even from an
// API that had them: together they are the number (docs/API.md, "Privacy of
// looked-up numbers"). The sweep plot draws Account.sweep's group counts.
export interface SchemaFeatures {
  /** Account.sweep exists (sweep plot from per-bin summaries; proposed in docs/UI.md) */
  accountSweep: boolean;
}

let featuresPromise: Promise<SchemaFeatures> | null = null;

interface FeaturesAnswer {
  account: { fields: { name: string }[] } | null;
}

/** schemaFeatures asks the API once (introspection) which optional fields it has. */
export function schemaFeatures(): Promise<SchemaFeatures> {
  if (!featuresPromise) {
    featuresPromise = gql<FeaturesAnswer>(FEATURES)
      .then((d) => {
        const af = new Set(d.account?.fields.map((f) => f.name));
        return { accountSweep: af.has('sweep') };
      })
      .catch(() => {
        featuresPromise = null;
        return { accountSweep: false };
      });
  }
  return featuresPromise;
}

export function useSchemaFeatures(): SchemaFeatures | null {
  const [f, setF] = useState<SchemaFeatures | null>(null);
  useEffect(() => {
    let live = true;
    schemaFeatures().then((x) => live && setF(x));
    return () => {
      live = false;
    };
  }, []);
  return f;
}

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
