// The suspension-list form and the SuspensionCriteria it sends
// (graph/schema/suspension.graphqls).

export interface CriteriaForm {
  runId: string;
  minScore: string;
  networkIds: string;
  confirmedOnly: boolean;
  excludeVerified: boolean;
}

export interface SuspensionCriteria {
  runId: string;
  minScore?: number;
  networkIds?: string[];
  confirmedOnly: boolean;
  excludeVerified: boolean;
  excludeAllowlisted: true;
}

/** splitIds reads network ids separated by commas, spaces or new lines, dropping blanks and repeats (order kept). */
export function splitIds(s: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of s.split(/[\s,;]+/)) {
    const id = p.trim();
    if (id && !seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  }
  return out;
}

/** toCriteria validates the form; it throws an Error naming the field to fix. */
export function toCriteria(f: CriteriaForm): SuspensionCriteria {
  if (!f.runId.trim()) throw new Error('Choose the detection run to take networks from.');
  const c: SuspensionCriteria = { runId: f.runId.trim(), confirmedOnly: f.confirmedOnly, excludeVerified: f.excludeVerified, excludeAllowlisted: true };
  if (f.minScore.trim()) {
    const n = Number(f.minScore);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`Minimum score must be a number from 0 to 1, got "${f.minScore}".`);
    c.minScore = n;
  }
  const ids = splitIds(f.networkIds);
  if (ids.length) c.networkIds = ids;
  return c;
}

/** describeCriteria renders saved criteria JSON as one line for the lists table. */
export function describeCriteria(c: unknown): string {
  if (!c || typeof c !== 'object') return String(c ?? '—');
  const o = c as Record<string, unknown>;
  const parts: string[] = [];
  if (o.runId) parts.push(`run ${o.runId}`);
  if (typeof o.minScore === 'number') parts.push(`score ≥ ${o.minScore}`);
  if (Array.isArray(o.networkIds) && o.networkIds.length) parts.push(`${o.networkIds.length} network${o.networkIds.length === 1 ? '' : 's'}`);
  if (o.confirmedOnly) parts.push('confirmed only');
  if (o.excludeVerified !== false) parts.push('no verified');
  return parts.join(', ') || '—';
}
