// Bulk exports are plain HTTP downloads, not GraphQL: fetched with the key (a
// plain link cannot send the Authorization header), checked, then handed to
// the browser as a file.

import { ApiError, classifyResponse } from '../graphql/errors';
import { authHeader } from './keyStorage';

export interface DownloadOptions {
  key: string | null;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
}

/** fetchExport fetches a bulk export and returns its body (callers verify it) with the file name. */
export async function fetchExport(path: string, opts: DownloadOptions): Promise<{ text: string; contentType: string; filename: string; headers: Headers }> {
  const res = await (opts.fetchImpl ?? fetch)(path, { headers: opts.key ? { Authorization: authHeader(opts.key) } : {}, signal: opts.signal });
  if (!res.ok) {
    let body: unknown;
    const t = await res.text();
    try {
      body = JSON.parse(t);
    } catch {
      body = { errors: [{ message: t.trim() || res.statusText }] };
    }
    throw classifyResponse(res.status, body, res.headers.get('Retry-After')) ?? new ApiError('server', `Export failed (HTTP ${res.status})`, res.status);
  }
  const cd = res.headers.get('Content-Disposition') ?? '';
  const m = cd.match(/filename="?([^";]+)"?/);
  const fallback = path.split('/').pop()?.replace(/\?format=/, '.') ?? 'export';
  return { text: await res.text(), contentType: res.headers.get('Content-Type') ?? 'text/plain', filename: m ? m[1] : fallback, headers: res.headers };
}

/** saveText offers text to the user as a downloaded file. */
export function saveText(text: string, filename: string, contentType: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: contentType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
