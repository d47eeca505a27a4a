import type { HttpRequest, HttpResponse } from '../http';

export const SESSION_COOKIE = 'tessera_session';
export const CSRF_COOKIE = 'tessera_csrf';

export function readCookie(req: HttpRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,100}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** HttpOnly, SameSite=Lax, Secure on https, scoped to the tenant's issuer path. */
export function setCookie(
  res: HttpResponse,
  name: string,
  value: string,
  o: { path: string; secure: boolean; maxAgeSeconds?: number },
): void {
  const expiry =
    o.maxAgeSeconds !== undefined
      ? `; Max-Age=${o.maxAgeSeconds}; Expires=${new Date(Date.now() + o.maxAgeSeconds * 1000).toUTCString()}`
      : '';
  res.header('Set-Cookie', serialize(`${name}=${encodeURIComponent(value)}${expiry}`, o));
}

export function clearCookie(
  res: HttpResponse,
  name: string,
  o: { path: string; secure: boolean },
): void {
  res.header('Set-Cookie', serialize(`${name}=; Expires=${new Date(0).toUTCString()}`, o));
}

function serialize(head: string, o: { path: string; secure: boolean }): string {
  // RFC 6265 §4.1.1 path-value: no control characters, no ';'
  if (!/^[\u0020-\u003A\u003D-\u007E]*$/.test(o.path)) throw new Error('invalid cookie path');
  return `${head}; Path=${o.path}; HttpOnly${o.secure ? '; Secure' : ''}; SameSite=Lax`;
}
