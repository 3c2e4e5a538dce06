import { describe, expect, it } from 'vitest';
import { href, parseHash } from './route';

describe('parseHash', () => {
  it.each([
    ['', 'networks', {}],
    ['#/', 'networks', {}],
    ['#/networks', 'networks', {}],
    ['#/networks/N-12', 'network', { id: 'N-12' }],
    ['#/networks/run%2F1%3An2', 'network', { id: 'run/1:n2' }],
    ['#/networks/run%2F1%3An2/report', 'report', { id: 'run/1:n2' }],
    ['#/accounts/acc_9/', 'account', { id: 'acc_9' }],
    ['#/lists', 'lists', {}],
    ['#/runs', 'runs', {}],
    ['#/lab/graph', 'graphlab', {}],
    ['#/nope', 'notfound', {}],
  ])('%s → %s', (hash, name, params) => {
    const r = parseHash(hash);
    expect(r.name).toBe(name);
    expect(r.params).toEqual(params);
  });

  it('keeps the query', () => {
    expect(parseHash('#/networks?minScore=0.5&sort=SIZE').query.get('sort')).toBe('SIZE');
  });

  it('round-trips ids through href', () => {
    const id = 'weird id/with?chars#';
    expect(parseHash(href.network(id)).params.id).toBe(id);
    expect(parseHash(href.account(id)).params.id).toBe(id);
  });
});
