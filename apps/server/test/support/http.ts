/** A response read once: status, headers and the parsed body (JSON when it is JSON). */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function send(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let body: unknown = text;
  if (/json(;|$)/.test(res.headers.get('content-type') ?? '') && text) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}

/** RFC 6749 Appendix B: Basic credentials are form-urlencoded before base64. */
export function basic(clientId: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

export function form(params: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    for (const one of Array.isArray(v) ? v : [v]) p.append(k, one);
  return p.toString();
}
