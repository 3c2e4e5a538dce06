import { describe, expect, it } from 'vitest';
import { defaultFilters, FilterError, fromQuery, NetworkFilterState, toQuery, toVariables } from './filters';

const f = (over: Partial<NetworkFilterState>): NetworkFilterState => ({ ...defaultFilters, ...over });

describe('toVariables', () => {
  it('leaves empty controls out so the API defaults to the latest run', () => {
    expect(toVariables(defaultFilters, 20, null)).toEqual({
      filter: {},
      orderBy: { field: 'SCORE', direction: 'DESC' },
      first: 20,
      after: null,
    });
  });

  it('maps every control onto NetworkFilter', () => {
    const v = toVariables(
      f({ runId: ' run-2 ', minScore: '0.5', maxScore: '0.9', minSize: '10', signal: 'SWEEP', minContribution: '0.1', stateLinked: 'yes', reviewStatus: 'CONFIRMED', country: 'ir', sort: 'SIZE', direction: 'ASC' }),
      50,
      'cur',
    );
    expect(v).toEqual({
      filter: { runId: 'run-2', minScore: 0.5, maxScore: 0.9, minSize: 10, signal: { name: 'SWEEP', minContribution: 0.1 }, stateLinked: true, reviewStatus: 'CONFIRMED', country: 'IR' },
      orderBy: { field: 'SIZE', direction: 'ASC' },
      first: 50,
      after: 'cur',
    });
  });

  it('leaves the contribution bar to the API default when it is empty', () => {
    expect(toVariables(f({ signal: 'DATACENTER' }), 20, null).filter.signal).toEqual({ name: 'DATACENTER' });
  });

  it('maps "not state-linked" to false, not to absent', () => {
    expect(toVariables(f({ stateLinked: 'no' }), 20, null).filter.stateLinked).toBe(false);
  });

  it.each([
    { over: { minScore: '1.5' }, field: 'minScore' },
    { over: { maxScore: 'abc' }, field: 'maxScore' },
    { over: { minScore: '0.8', maxScore: '0.2' }, field: 'maxScore' },
    { over: { minSize: '2.5' }, field: 'minSize' },
    { over: { minSize: '0' }, field: 'minSize' },
    { over: { country: 'Iran' }, field: 'country' },
    { over: { signal: 'sweep_coverage' }, field: 'signal' },
    { over: { signal: 'SWEEP', minContribution: '2' }, field: 'minContribution' },
    { over: { minContribution: '0.1' }, field: 'minContribution' },
  ])('rejects $over naming $field', ({ over, field }) => {
    try {
      toVariables(f(over as Partial<NetworkFilterState>), 20, null);
      expect.unreachable('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(FilterError);
      expect((e as FilterError).field).toBe(field);
    }
  });
});

describe('URL form', () => {
  it('round-trips non-default controls and omits defaults', () => {
    const s = f({ minScore: '0.7', signal: 'SWEEP', minContribution: '0.1', reviewStatus: 'ESCALATED', sort: 'SIZE', stateLinked: 'no' });
    const q = toQuery(s);
    expect(q).toBe('minScore=0.7&signal=SWEEP&minContribution=0.1&stateLinked=no&reviewStatus=ESCALATED&sort=SIZE');
    expect(fromQuery(q)).toEqual(s);
    expect(toQuery(defaultFilters)).toBe('');
  });

  it('ignores unknown keys and invalid enum values', () => {
    expect(fromQuery('sort=NAME&direction=UP&reviewStatus=LOL&stateLinked=maybe&x=1')).toEqual(defaultFilters);
  });
});
