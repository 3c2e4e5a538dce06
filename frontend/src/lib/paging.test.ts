import { describe, expect, it } from 'vitest';
import { afterCursor, initialPaging, pageRange, pagingReducer, PagingState } from './paging';

describe('pagingReducer', () => {
  it('walks forward and back with the right after-cursors', () => {
    let s: PagingState = initialPaging;
    expect(afterCursor(s)).toBeNull();
    s = pagingReducer(s, { type: 'next', endCursor: 'c20' });
    expect(afterCursor(s)).toBe('c20');
    s = pagingReducer(s, { type: 'next', endCursor: 'c40' });
    expect(s.page).toBe(2);
    expect(afterCursor(s)).toBe('c40');
    s = pagingReducer(s, { type: 'prev' });
    expect(afterCursor(s)).toBe('c20');
    s = pagingReducer(s, { type: 'prev' });
    expect(afterCursor(s)).toBeNull();
    expect(pagingReducer(s, { type: 'prev' })).toBe(s);
  });

  it('drops forward history when paging on from an earlier page', () => {
    let s: PagingState = initialPaging;
    s = pagingReducer(s, { type: 'next', endCursor: 'a' });
    s = pagingReducer(s, { type: 'next', endCursor: 'b' });
    s = pagingReducer(s, { type: 'prev' });
    s = pagingReducer(s, { type: 'next', endCursor: 'x' });
    expect(s.cursors).toEqual([null, 'a', 'x']);
    expect(afterCursor(s)).toBe('x');
  });

  it.each([null, undefined, ''])('ignores next without a cursor (%s)', (c) => {
    expect(pagingReducer(initialPaging, { type: 'next', endCursor: c })).toBe(initialPaging);
  });

  it('resets to the first page', () => {
    const s = pagingReducer(initialPaging, { type: 'next', endCursor: 'a' });
    expect(pagingReducer(s, { type: 'reset' })).toEqual(initialPaging);
  });
});

describe('pageRange', () => {
  it.each([
    { page: 0, size: 20, count: 20, want: { from: 1, to: 20 } },
    { page: 2, size: 20, count: 7, want: { from: 41, to: 47 } },
    { page: 0, size: 20, count: 0, want: { from: 0, to: 0 } },
  ])('page $page count $count', ({ page, size, count, want }) => {
    expect(pageRange({ cursors: [], page }, size, count)).toEqual(want);
  });
});
