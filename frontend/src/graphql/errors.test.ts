import { describe, expect, it } from 'vitest';
import { classifyResponse, UNAUTHENTICATED_MESSAGE } from './errors';

// Bodies as the Lockstep server writes them (server/middleware.go writeError,
// auth.HasRole, resolvers' RATE_LIMITED).
const err = (code: string, message = 'x', extra: Record<string, unknown> = {}, path?: string[]) => ({ message, path, extensions: { code, ...extra } });

describe('classifyResponse', () => {
  it('passes a clean answer', () => {
    expect(classifyResponse(200, { data: { viewer: { name: 'a' } } })).toBeNull();
  });

  it('reports a wrong or revoked key (HTTP 401)', () => {
    const e = classifyResponse(401, { errors: [err('UNAUTHENTICATED', 'unauthenticated')] });
    expect(e?.kind).toBe('unauthenticated');
    expect(e?.message).toBe(UNAUTHENTICATED_MESSAGE);
  });

  it('reports a role too low on a mutation, naming the role', () => {
    const body = {
      data: { reviewNetwork: null },
      errors: [err('FORBIDDEN', 'forbidden: this field needs role ANALYST and the key bob has role VIEWER', { requiredRole: 'ANALYST' }, ['reviewNetwork'])],
    };
    const e = classifyResponse(200, body);
    expect(e?.kind).toBe('forbidden');
    expect(e?.message).toContain('needs the analyst role');
  });

  it('reports a forbidden export (HTTP 403) with the role from the message', () => {
    const e = classifyResponse(403, { errors: [err('FORBIDDEN', 'forbidden: exports need role ANALYST and the key k has role VIEWER')] });
    expect(e?.kind).toBe('forbidden');
    expect(e?.message).toContain('analyst');
  });

  it('keeps a partial answer whose forbidden field is nested', () => {
    const body = { data: { account: { id: '1', ips: null } }, errors: [err('FORBIDDEN', 'no', {}, ['account', 'ips'])] };
    expect(classifyResponse(200, body)).toBeNull();
  });

  it('reports rate limiting with Retry-After', () => {
    const e = classifyResponse(429, { errors: [err('RATE_LIMITED')] }, '7');
    expect(e?.kind).toBe('rate_limited');
    expect(e?.retryAfterSeconds).toBe(7);
    expect(e?.message).toContain('7 s');
  });

  it('reports a failed top-level field as that error', () => {
    const e = classifyResponse(200, { data: { network: null }, errors: [err('TIMEOUT', 'the request took longer than its 10s limit', {}, ['network'])] });
    expect(e?.kind).toBe('graphql');
    expect(e?.message).toContain('10s limit');
  });

  it('reports validation errors without data', () => {
    const e = classifyResponse(422, { errors: [err('GRAPHQL_VALIDATION_FAILED', 'Cannot query field "x"')] });
    expect(e?.kind).toBe('graphql');
    expect(e?.message).toContain('Cannot query field');
  });

  it('reports server failures', () => {
    expect(classifyResponse(502, undefined)?.kind).toBe('server');
  });
});
