// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { navigate, splitHash } from './hashLocation';
import { paths } from './paths';

describe('splitHash', () => {
  it.each([
    ['', '/', ''],
    ['#/', '/', ''],
    ['#/networks', '/networks', ''],
    ['#/networks?minScore=0.5&sort=SIZE', '/networks', 'minScore=0.5&sort=SIZE'],
    ['#networks/N-1', '/networks/N-1', ''],
    [`#${paths.lists('networks=a%2Cb&run=r1')}`, '/lists', 'networks=a%2Cb&run=r1'],
  ])('%s → %s ? %s', (hash, path, search) => {
    expect(splitHash(hash)).toEqual([path, search]);
  });
});

describe('navigate', () => {
  it('keeps the query in the hash, so bookmarks of filtered lists keep working', () => {
    navigate(paths.networks('minSize=3'));
    expect(location.hash).toBe('#/networks?minSize=3');
    expect(location.search).toBe('');
  });

  it('replaces the history entry when asked', () => {
    navigate('/runs');
    const n = history.length;
    navigate('/lists', { replace: true });
    expect(location.hash).toBe('#/lists');
    expect(history.length).toBe(n);
  });

  it('builds links whose ids survive any character', () => {
    const id = 'weird id/with?chars#';
    const [path] = splitHash('#' + paths.network(id));
    expect(decodeURIComponent(path.split('/')[2])).toBe(id);
  });
});
