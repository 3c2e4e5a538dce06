// Turns what the API answers into one error an analyst can act on: a wrong or
// revoked key (sign in again), a role too low for the action (ask an admin),
// rate limiting (wait), the server being unreachable, or the API's own message.

export type ApiErrorKind = 'unauthenticated' | 'forbidden' | 'rate_limited' | 'network' | 'server' | 'graphql';

export interface GraphQLErrorItem {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [k: string]: unknown };
}

export class ApiError extends Error {
  constructor(
    public kind: ApiErrorKind,
    message: string,
    public status = 0,
    public errors: GraphQLErrorItem[] = [],
    public retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const ROLE_RE = /\b(VIEWER|ANALYST|ADMIN)\b/i;

function forbiddenMessage(detail: string | undefined, required?: unknown): string {
  const role = typeof required === 'string' && ROLE_RE.test(required) ? required : detail?.match(ROLE_RE)?.[1];
  const need = role ? ` (needs the ${role.toLowerCase()} role)` : '';
  return `Your API key's role is too low for this action${need}. Ask an admin for a key with a higher role.`;
}

export const UNAUTHENTICATED_MESSAGE = 'The API key was not accepted: it is wrong, expired or was revoked. Sign in again with a valid key.';

/**
 * classifyResponse decides whether an HTTP answer from /graphql is an error.
 * `body` is the parsed JSON (or undefined when it was not JSON). It returns
 * null when the answer carries usable data (a partial answer with errors on
 * some fields is still usable: those errors come back in `fieldErrors`).
 */
export function classifyResponse(
  status: number,
  body: unknown,
  retryAfter: string | null = null,
): ApiError | null {
  const errors: GraphQLErrorItem[] = Array.isArray((body as { errors?: unknown })?.errors)
    ? ((body as { errors: GraphQLErrorItem[] }).errors)
    : [];
  const hasData = body !== null && typeof body === 'object' && (body as { data?: unknown }).data != null;
  const codes = errors.map((e) => e.extensions?.code ?? '');
  const first = errors[0]?.message;

  if (status === 401 || codes.includes('UNAUTHENTICATED')) {
    return new ApiError('unauthenticated', UNAUTHENTICATED_MESSAGE, status, errors);
  }
  if (status === 429 || codes.includes('RATE_LIMITED')) {
    const secs = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
    const wait = secs !== undefined ? ` Try again in ${secs} s.` : ' Try again shortly.';
    return new ApiError('rate_limited', `Too many requests with this key.${wait}`, status, errors, secs);
  }
  if (status === 403 || (!hasData && codes.includes('FORBIDDEN'))) {
    const fe = errors.find((e) => e.extensions?.code === 'FORBIDDEN');
    return new ApiError('forbidden', forbiddenMessage(fe?.message ?? first, fe?.extensions?.requiredRole), status, errors);
  }
  if (status >= 500) {
    return new ApiError('server', `The server failed (HTTP ${status})${first ? `: ${first}` : ''}.`, status, errors);
  }
  if (status >= 400 && errors.length === 0) {
    return new ApiError('graphql', `The server refused the request (HTTP ${status}).`, status, errors);
  }
  if (errors.length > 0 && !hasData) {
    return new ApiError('graphql', errors.map((e) => e.message).join('; '), status, errors);
  }
  // Mutations answer data: null on the mutation field plus an error: treat a
  // FORBIDDEN on any field the caller asked for as forbidden when that field is null.
  const forb = errors.find((e) => e.extensions?.code === 'FORBIDDEN');
  if (forb && forb.path && forb.path.length === 1) {
    const top = (body as { data: Record<string, unknown> }).data[String(forb.path[0])];
    if (top === null || top === undefined) return new ApiError('forbidden', forbiddenMessage(forb.message, forb.extensions?.requiredRole), status, errors);
  }
  if (errors.length > 0 && errors.some((e) => e.path && e.path.length === 1)) {
    const e = errors.find((x) => x.path && x.path.length === 1)!;
    const top = (body as { data: Record<string, unknown> }).data[String(e.path![0])];
    if (top === null || top === undefined) return new ApiError('graphql', e.message, status, errors);
  }
  return null;
}

/** describeError turns anything thrown into a sentence for an error banner. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
