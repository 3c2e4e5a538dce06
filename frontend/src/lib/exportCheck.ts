// Checks a downloaded suspension-list export the way an enforcement pipeline
// should (server/export.go): the last line carries the SHA-256 of every byte
// before it and the row count; a body without it was cut short.

export interface ExportCheck {
  ok: boolean;
  rows: number;
  /** the account ids in file order */
  accountIds: string[];
  message: string;
}

function toHex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** splitTrailer separates the body from its last line (the checksum line). */
export function splitTrailer(text: string): { body: string; trailer: string } {
  const t = text.endsWith('\n') ? text.slice(0, -1) : text;
  const i = t.lastIndexOf('\n');
  return { body: i >= 0 ? t.slice(0, i + 1) : '', trailer: i >= 0 ? t.slice(i + 1) : t };
}

/**
 * parseTrailer reads `# sha256=HEX rows=N withheld=W (reason)` (CSV) or
 * {"sha256":"HEX","rows":N,"withheld":W} (NDJSON). withheld counts accounts left out because they
 * were allowlisted after the list was saved (0 when the line does not say).
 */
export function parseTrailer(line: string, format: 'csv' | 'ndjson'): { sha256: string; rows: number; withheld: number } | null {
  if (format === 'csv') {
    const m = line.match(/^# sha256=([0-9a-f]{64}) rows=(\d+)(?: withheld=(\d+)(?: \(.*\))?)?$/);
    return m ? { sha256: m[1], rows: Number(m[2]), withheld: Number(m[3] ?? 0) } : null;
  }
  try {
    const o = JSON.parse(line);
    if (typeof o.sha256 === 'string' && typeof o.rows === 'number') return { sha256: o.sha256, rows: o.rows, withheld: typeof o.withheld === 'number' ? o.withheld : 0 };
  } catch {
    /* not the trailer */
  }
  return null;
}

/** accountIdsOf reads the account id of every row (CSV column account_id, NDJSON field accountId). */
export function accountIdsOf(body: string, format: 'csv' | 'ndjson'): string[] {
  const lines = body.split('\n').filter((l) => l.length > 0);
  if (format === 'ndjson') return lines.map((l, i) => {
    const o = JSON.parse(l);
    if (typeof o.accountId !== 'string') throw new Error(`line ${i + 1}: no accountId`);
    return o.accountId;
  });
  const header = lines.shift()?.split(',') ?? [];
  const col = header.indexOf('account_id');
  if (col < 0) throw new Error(`CSV header has no account_id column: ${header.join(',')}`);
  // Account ids never contain commas or quotes, so a plain split is exact for this column.
  return lines.map((l) => l.split(',')[col]);
}

/** checkExport verifies checksum and row count; `digest` is injectable for tests (defaults to WebCrypto). */
export async function checkExport(
  text: string,
  format: 'csv' | 'ndjson',
  digest: ((data: Uint8Array) => Promise<ArrayBuffer>) | null = globalThis.crypto?.subtle ? (d) => crypto.subtle.digest('SHA-256', d as BufferSource) : null,
): Promise<ExportCheck> {
  const { body, trailer } = splitTrailer(text);
  const t = parseTrailer(trailer, format);
  if (!t) return { ok: false, rows: 0, accountIds: [], message: 'The download has no checksum line: it was cut short. Download it again.' };
  const accountIds = accountIdsOf(body, format);
  if (accountIds.length !== t.rows) return { ok: false, rows: accountIds.length, accountIds, message: `Row count mismatch: the file has ${accountIds.length} rows, its checksum line says ${t.rows}.` };
  if (!digest) return { ok: true, rows: t.rows, accountIds, message: `${t.rows} rows (checksum not verified: this browser page has no WebCrypto).` };
  const got = toHex(await digest(new TextEncoder().encode(body)));
  if (got !== t.sha256) return { ok: false, rows: t.rows, accountIds, message: `Checksum mismatch: computed ${got.slice(0, 12)}…, file says ${t.sha256.slice(0, 12)}….` };
  const withheld = t.withheld > 0 ? ` ${t.withheld} withheld (allowlisted after the list was saved).` : '';
  return { ok: true, rows: t.rows, accountIds, message: `${t.rows} rows, SHA-256 verified (${t.sha256.slice(0, 12)}…).${withheld}` };
}

/** exportUrl is the path that downloads a saved list in a format. */
export function exportUrl(list: { id: string; exportPath: string }, format: 'csv' | 'ndjson'): string {
  const base = list.exportPath || `/export/suspension-lists/${encodeURIComponent(list.id)}`;
  const u = new URL(base, location.origin);
  u.searchParams.set('format', format);
  return u.pathname + u.search;
}
