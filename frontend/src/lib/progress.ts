// Overall progress of a detection run from the stage-by-stage events of the
// `detectionProgress` subscription. Each known stage gets an equal share of
// the bar; within a stage, done/total fills its share. The bar never moves
// backwards (events can arrive for a stage with an unknown total), and a
// FINISHED event is 100%.

export const STAGES = ['projection', 'similarity', 'communities', 'scoring', 'write'] as const;

export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
  status: 'RUNNING' | 'FINISHED' | 'FAILED';
  message?: string | null;
}

/** stageFraction is the 0..1 position of an event on the whole run. */
export function stageFraction(ev: ProgressEvent): number {
  if (ev.status === 'FINISHED') return 1;
  const i = STAGES.indexOf(ev.stage.toLowerCase() as (typeof STAGES)[number]);
  const within = ev.total > 0 ? Math.min(1, Math.max(0, ev.done / ev.total)) : 0;
  if (i < 0) return NaN; // unknown stage: caller keeps the previous value
  return (i + within) / STAGES.length;
}

/** nextPercent folds an event into the previous percentage (0..100, monotonic). */
export function nextPercent(prev: number, ev: ProgressEvent): number {
  const f = stageFraction(ev);
  if (Number.isNaN(f)) return prev;
  return Math.max(prev, Math.round(f * 1000) / 10);
}
