// Cursor paging state for Relay connections. The API pages forward only
// (`first` + `after`), so going back means remembering the `after` cursor that
// produced each earlier page: a stack of cursors, one per page seen.

export interface PagingState {
  /** after-cursor that produced page i (null for the first page) */
  cursors: (string | null)[];
  /** index of the current page, 0-based */
  page: number;
}

export type PagingAction =
  | { type: 'next'; endCursor: string | null | undefined }
  | { type: 'prev' }
  | { type: 'reset' };

export const initialPaging: PagingState = { cursors: [null], page: 0 };

/** pagingReducer moves between pages; a `next` without an endCursor (empty page) changes nothing. */
export function pagingReducer(state: PagingState, action: PagingAction): PagingState {
  switch (action.type) {
    case 'next': {
      if (!action.endCursor) return state;
      const cursors = state.cursors.slice(0, state.page + 1);
      cursors.push(action.endCursor);
      return { cursors, page: state.page + 1 };
    }
    case 'prev':
      if (state.page === 0) return state;
      return { cursors: state.cursors, page: state.page - 1 };
    case 'reset':
      return initialPaging;
  }
}

/** afterCursor is the `after` variable for the current page. */
export function afterCursor(state: PagingState): string | null {
  return state.cursors[state.page] ?? null;
}

/** pageRange returns the 1-based item range shown ("21–40") for a page of `count` items of size `pageSize`. */
export function pageRange(state: PagingState, pageSize: number, count: number): { from: number; to: number } {
  const from = state.page * pageSize + (count > 0 ? 1 : 0);
  return { from, to: state.page * pageSize + count };
}
