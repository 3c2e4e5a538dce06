// The API key lives in sessionStorage: it survives a reload of the tab but not
// closing it, and is never shared with other tabs or written to disk by us.
// The playground (a separate page on the same origin) reads the same entry so
// "Open playground" carries the signed-in key.

export const KEY_STORAGE_NAME = 'lockstep.apiKey';

export interface KeyStore {
  get(): string | null;
  set(key: string): void;
  clear(): void;
}

/** Trims what was pasted and drops a "Bearer " prefix people often copy along. */
export function normaliseKey(raw: string): string {
  let k = raw.trim();
  if (/^bearer\s+/i.test(k)) k = k.replace(/^bearer\s+/i, '').trim();
  return k;
}

/** keyStore wraps a Storage (sessionStorage in the app); it tolerates a storage that throws (privacy modes). */
export function keyStore(storage: Storage | undefined = globalThis.sessionStorage): KeyStore {
  return {
    get() {
      try {
        const v = storage?.getItem(KEY_STORAGE_NAME);
        return v ? v : null;
      } catch {
        return null;
      }
    },
    set(key: string) {
      const k = normaliseKey(key);
      if (!k) throw new Error('API key is empty');
      try {
        storage?.setItem(KEY_STORAGE_NAME, k);
      } catch {
        // Storage refused (quota, privacy mode): the key then lives only in memory.
      }
    },
    clear() {
      try {
        storage?.removeItem(KEY_STORAGE_NAME);
      } catch {
        /* nothing stored */
      }
    },
  };
}

/** authHeader builds the Authorization header value the API expects. */
export function authHeader(key: string): string {
  return `Bearer ${normaliseKey(key)}`;
}
