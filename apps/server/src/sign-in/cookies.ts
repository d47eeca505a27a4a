import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'tessera_session';
export const CSRF_COOKIE = 'tessera_csrf';

export function readCookie(req: Request, name: string): string | undefined {
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
  res: Response,
  name: string,
  value: string,
  o: { path: string; secure: boolean; maxAgeSeconds?: number },
): void {
  res.cookie(name, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: o.secure,
    path: o.path,
    ...(o.maxAgeSeconds !== undefined ? { maxAge: o.maxAgeSeconds * 1000 } : {}),
  });
}

export function clearCookie(
  res: Response,
  name: string,
  o: { path: string; secure: boolean },
): void {
  res.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure: o.secure, path: o.path });
}
