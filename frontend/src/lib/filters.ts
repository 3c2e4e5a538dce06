// The networks list's filter and sort controls, their URL form (so a filtered
// list can be bookmarked and shared: #/networks?minScore=0.8&sort=SIZE) and the
// GraphQL variables they map onto (NetworkFilter / NetworkOrder in
// graph/schema/networks.graphqls).

export type ReviewStatus = 'UNREVIEWED' | 'CONFIRMED' | 'DISMISSED' | 'ESCALATED';
export type OrderField = 'SCORE' | 'SIZE' | 'ID';
export type Direction = 'ASC' | 'DESC';

export const REVIEW_STATUSES: ReviewStatus[] = ['UNREVIEWED', 'CONFIRMED', 'DISMISSED', 'ESCALATED'];
export const ORDER_FIELDS: OrderField[] = ['SCORE', 'SIZE', 'ID'];

export interface NetworkFilterState {
  runId: string;
  minScore: string;
  maxScore: string;
  minSize: string;
  /** a SignalName enum value, or '' */
  signal: string;
  /** the least contribution the signal must have added; '' for the API's default */
  minContribution: string;
  stateLinked: 'any' | 'yes' | 'no';
  reviewStatus: '' | ReviewStatus;
  country: string;
  sort: OrderField;
  direction: Direction;
}

export const defaultFilters: NetworkFilterState = {
  runId: '',
  minScore: '',
  maxScore: '',
  minSize: '',
  signal: '',
  minContribution: '',
  stateLinked: 'any',
  reviewStatus: '',
  country: '',
  sort: 'SCORE',
  direction: 'DESC',
};

export interface NetworkFilterInput {
  runId?: string;
  minScore?: number;
  maxScore?: number;
  minSize?: number;
  signal?: { name: string; minContribution?: number };
  stateLinked?: boolean;
  reviewStatus?: ReviewStatus;
  country?: string;
}

export interface NetworksVariables {
  filter: NetworkFilterInput;
  orderBy: { field: OrderField; direction: Direction };
  first: number;
  after: string | null;
}

/** FilterError names the control whose value cannot be sent. */
export class FilterError extends Error {
  constructor(public field: keyof NetworkFilterState, message: string) {
    super(message);
  }
}

function parseScore(field: 'minScore' | 'maxScore', v: string): number | undefined {
  if (v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new FilterError(field, `${field === 'minScore' ? 'Minimum' : 'Maximum'} score must be a number from 0 to 1, got "${v}"`);
  return n;
}

/**
 * toVariables maps the controls onto the `networks` query variables; empty
 * controls are left out so the API applies its defaults (latest finished run).
 * Throws FilterError for a value the API would reject.
 */
export function toVariables(f: NetworkFilterState, first: number, after: string | null): NetworksVariables {
  const filter: NetworkFilterInput = {};
  if (f.runId.trim()) filter.runId = f.runId.trim();
  const min = parseScore('minScore', f.minScore);
  const max = parseScore('maxScore', f.maxScore);
  if (min !== undefined) filter.minScore = min;
  if (max !== undefined) filter.maxScore = max;
  if (min !== undefined && max !== undefined && min > max) throw new FilterError('maxScore', `Maximum score ${max} is below minimum score ${min}`);
  if (f.minSize.trim()) {
    const n = Number(f.minSize);
    if (!Number.isInteger(n) || n < 1) throw new FilterError('minSize', `Minimum size must be a whole number of at least 1, got "${f.minSize}"`);
    filter.minSize = n;
  }
  if (f.signal.trim()) {
    const name = f.signal.trim();
    if (!/^[A-Z][A-Z_]*$/.test(name)) throw new FilterError('signal', `Signal must be one of the listed signals, got "${f.signal}"`);
    filter.signal = { name };
    if (f.minContribution.trim()) {
      const n = Number(f.minContribution);
      if (!Number.isFinite(n) || n < 0 || n > 1) throw new FilterError('minContribution', `Minimum contribution must be a number from 0 to 1, got "${f.minContribution}"`);
      filter.signal.minContribution = n;
    }
  } else if (f.minContribution.trim()) {
    throw new FilterError('minContribution', 'Choose a signal for the minimum contribution to apply to');
  }
  if (f.stateLinked === 'yes') filter.stateLinked = true;
  if (f.stateLinked === 'no') filter.stateLinked = false;
  if (f.reviewStatus) filter.reviewStatus = f.reviewStatus;
  if (f.country.trim()) {
    const c = f.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(c)) throw new FilterError('country', `Country must be a two-letter ISO code such as IR or MY, got "${f.country}"`);
    filter.country = c;
  }
  return { filter, orderBy: { field: f.sort, direction: f.direction }, first, after };
}

const URL_KEYS: (keyof NetworkFilterState)[] = ['runId', 'minScore', 'maxScore', 'minSize', 'signal', 'minContribution', 'stateLinked', 'reviewStatus', 'country', 'sort', 'direction'];

/** toQuery writes the non-default controls as a URL query string (no leading "?"). */
export function toQuery(f: NetworkFilterState): string {
  const q = new URLSearchParams();
  for (const k of URL_KEYS) {
    if (f[k] !== defaultFilters[k]) q.set(k, String(f[k]));
  }
  return q.toString();
}

/** fromQuery reads controls from a URL query string, ignoring unknown keys and invalid enum values. */
export function fromQuery(query: string): NetworkFilterState {
  const q = new URLSearchParams(query);
  const f: NetworkFilterState = { ...defaultFilters };
  for (const k of ['runId', 'minScore', 'maxScore', 'minSize', 'signal', 'minContribution', 'country'] as const) {
    const v = q.get(k);
    if (v !== null) f[k] = v;
  }
  const sl = q.get('stateLinked');
  if (sl === 'yes' || sl === 'no' || sl === 'any') f.stateLinked = sl;
  const rs = q.get('reviewStatus');
  if (rs && (REVIEW_STATUSES as string[]).includes(rs)) f.reviewStatus = rs as ReviewStatus;
  const sort = q.get('sort');
  if (sort && (ORDER_FIELDS as string[]).includes(sort)) f.sort = sort as OrderField;
  const dir = q.get('direction');
  if (dir === 'ASC' || dir === 'DESC') f.direction = dir;
  return f;
}
