import { describe, expect, it } from 'vitest';
import { nextPercent, ProgressEvent, stageFraction } from './progress';

const ev = (stage: string, done: number, total: number, status: ProgressEvent['status'] = 'RUNNING'): ProgressEvent => ({ stage, done, total, status });

describe('progress', () => {
  it.each([
    { e: ev('projection', 0, 100), want: 0 },
    { e: ev('projection', 50, 100), want: 0.1 },
    { e: ev('similarity', 0, 0), want: 0.2 },
    { e: ev('COMMUNITIES', 1, 2), want: 0.5 },
    { e: ev('write', 10, 10), want: 1 },
    { e: ev('write', 20, 10), want: 1 },
    { e: ev('anything', 0, 0, 'FINISHED'), want: 1 },
  ])('stageFraction($e.stage $e.done/$e.total $e.status) = $want', ({ e, want }) => {
    expect(stageFraction(e)).toBeCloseTo(want, 6);
  });

  it('never goes backwards and ignores unknown stages', () => {
    let p = 0;
    p = nextPercent(p, ev('similarity', 5, 10));
    expect(p).toBe(30);
    p = nextPercent(p, ev('projection', 10, 10));
    expect(p).toBe(30);
    p = nextPercent(p, ev('warmup', 1, 1));
    expect(p).toBe(30);
    p = nextPercent(p, ev('write', 0, 0, 'FINISHED'));
    expect(p).toBe(100);
  });
});
