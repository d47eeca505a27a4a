import { createHash, randomBytes } from 'node:crypto';
import { send, type Reply } from './http';

/** A minimal browser: keeps cookies per name (path-insensitive is enough here), follows nothing by itself. */
export class Browser {
  readonly cookies = new Map<string, string>();

  private header(): Record<string, string> {
    return this.cookies.size
      ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
      : {};
  }

  private keep(res: Reply): Reply {
    const setCookies = (res.headers as Headers & { getSetCookie(): string[] }).getSetCookie();
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.keep(await send(url, { headers: { ...this.header(), ...headers } }));
  }

  async post(
    url: string,
    body: URLSearchParams,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    return this.keep(
      await send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...this.header(),
          ...headers,
        },
        body: body.toString(),
      }),
    );
  }
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The hidden inputs and action of the sign-in form in an HTML page. */
export function formOf(html: string): { action: string; fields: URLSearchParams } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  const fields = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.append(
      m[1],
      m[2]
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    );
  }
  return { action: action.replace(/&amp;/g, '&'), fields };
}
