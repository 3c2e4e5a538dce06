// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { authHeader, KEY_STORAGE_NAME, keyStore, normaliseKey } from './keyStorage';

describe('keyStore', () => {
  beforeEach(() => sessionStorage.clear());

  it('keeps the key in sessionStorage, normalised', () => {
    const ks = keyStore(sessionStorage);
    expect(ks.get()).toBeNull();
    ks.set('  Bearer lsk_abc123 \n');
    expect(sessionStorage.getItem(KEY_STORAGE_NAME)).toBe('lsk_abc123');
    expect(ks.get()).toBe('lsk_abc123');
    ks.clear();
    expect(ks.get()).toBeNull();
  });

  it('never touches localStorage', () => {
    localStorage.clear();
    keyStore(sessionStorage).set('k');
    expect(localStorage.length).toBe(0);
  });

  it('refuses an empty key', () => {
    expect(() => keyStore(sessionStorage).set('   ')).toThrow(/empty/);
  });

  it('survives a storage that throws', () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    } as unknown as Storage;
    const ks = keyStore(broken);
    expect(ks.get()).toBeNull();
    expect(() => ks.set('k')).not.toThrow();
    expect(() => ks.clear()).not.toThrow();
  });
});

describe('normaliseKey / authHeader', () => {
  it.each([
    ['abc', 'abc'],
    [' abc ', 'abc'],
    ['Bearer abc', 'abc'],
    ['bearer   abc', 'abc'],
    ['BEARERabc', 'BEARERabc'],
  ])('%j → %j', (raw, want) => {
    expect(normaliseKey(raw)).toBe(want);
    expect(authHeader(raw)).toBe(`Bearer ${want}`);
  });
});
