import type { HttpRequest, HttpResponse } from '../http';

const SESSION_COOKIE = 'tessera_session';
const CSRF_COOKIE = 'tessera_csrf';

/** The names and scope of one tenant's cookies (the SSO session and the forms' CSRF cookie). */
export interface TenantCookies {
  session: string;
  csrf: string;
  path: string;
  secure: boolean;
}

/**
 * Cookie prefixes (RFC 6265bis §4.1.3) so that a sibling subdomain, which may set a cookie for the
 * parent domain, cannot plant a session or CSRF cookie here:
 * - https at the root of its host: `__Host-` (Secure, Path=/, no Domain: only this host sets it).
 *   Path=/ is shared by every tenant, so each tenant's cookie carries its slug in its name.
 * - https below a path (PUBLIC_URL=https://example.com/auth): `__Host-` would need Path=/, which
 *   would hand the cookie to the other applications of the host, so `__Secure-` with the issuer's
 *   path (a Secure cookie only a secure origin can set).
 * - http (loopback development, tests): plain names with the issuer's path; browsers refuse
 *   prefixed cookies without Secure, and Secure cookies over http.
 * Only the expected name is ever read: a cookie without the prefix is ignored where one is expected.
 */
export function tenantCookies(publicUrl: string, issuer: string, slug: string): TenantCookies {
  const url = new URL(publicUrl);
  if (url.protocol !== 'https:')
    return {
      session: SESSION_COOKIE,
      csrf: CSRF_COOKIE,
      path: new URL(issuer).pathname,
      secure: false,
    };
  if (url.pathname === '/' || url.pathname === '')
    return {
      session: `__Host-${SESSION_COOKIE}-${slug}`,
      csrf: `__Host-${CSRF_COOKIE}-${slug}`,
      path: '/',
      secure: true,
    };
  return {
    session: `__Secure-${SESSION_COOKIE}`,
    csrf: `__Secure-${CSRF_COOKIE}`,
    path: new URL(issuer).pathname,
    secure: true,
  };
}

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

/** HttpOnly, SameSite=Lax, Secure on https, scoped as `tenantCookies` says. */
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
  // never a Domain attribute: the cookie stays with this host (and __Host- requires it)
  return `${head}; Path=${o.path}; HttpOnly${o.secure ? '; Secure' : ''}; SameSite=Lax`;
}
