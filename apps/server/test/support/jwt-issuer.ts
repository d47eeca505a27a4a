import { createHmac, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from './harness';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export interface StubTenant {
  issuer: string;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * An issuer whose keys the test holds, serving discovery and a JWKS like Tessera does, so guard
 * cases can carry valid signatures over wrong claims (typ, iss, aud, times). Counts every fetch.
 * Its introspection endpoint answers for the tokens it signed (any credentials): their claims, and
 * `token_type` `DPoP` when they carry `cnf.jkt` (RFC 9449 §6.2).
 */
export class StubIssuer {
  readonly fetches: string[] = [];
  readonly tenants = new Map<string, StubTenant>();
  private server?: Server;
  base = '';

  async start(slugs: string[]): Promise<this> {
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    for (const slug of slugs) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      this.tenants.set(slug, {
        issuer: `${this.base}/t/${slug}`,
        kid: `${slug}-key-1`,
        privateKey,
        publicKey,
      });
    }
    this.server = createServer((req, res) => {
      this.fetches.push(req.url ?? '');
      const intro = /^\/t\/([^/]+)\/introspect$/.exec(req.url ?? '');
      if (intro && req.method === 'POST' && this.tenants.has(intro[1]))
        return void this.introspect(this.tenant(intro[1]), req, res);
      const m = /^\/t\/([^/]+)\/(\.well-known\/openid-configuration|jwks\.json)$/.exec(
        req.url ?? '',
      );
      const t = m && this.tenants.get(m[1]);
      if (!m || !t) return void res.writeHead(404).end();
      const body =
        m[2] === 'jwks.json'
          ? {
              keys: [
                { ...t.publicKey.export({ format: 'jwk' }), kid: t.kid, alg: 'ES256', use: 'sig' },
              ],
            }
          : {
              issuer: t.issuer,
              jwks_uri: `${t.issuer}/jwks.json`,
              introspection_endpoint: `${t.issuer}/introspect`,
            };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private introspect(t: StubTenant, req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      const [h, p, sig] = token.split('.');
      const ok =
        !!sig &&
        verify(
          'sha256',
          Buffer.from(`${h}.${p}`),
          { key: t.publicKey, dsaEncoding: 'ieee-p1363' },
          Buffer.from(sig, 'base64url'),
        );
      const claims = ok ? JSON.parse(Buffer.from(p, 'base64url').toString()) : {};
      const answer = ok
        ? { active: true, ...claims, token_type: claims.cnf?.jkt ? 'DPoP' : 'Bearer' }
        : { active: false };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  }

  tenant(slug: string): StubTenant {
    return this.tenants.get(slug)!;
  }

  /** Claims a Tessera access token carries, valid for five minutes. */
  claims(slug: string, audience: string, extra: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.tenant(slug).issuer,
      aud: audience,
      sub: 'user-1',
      client_id: 'web',
      scope: 'orders:read',
      jti: `jti-${Math.random()}`,
      iat: now,
      exp: now + 300,
      ...extra,
    };
  }

  /**
   * A Tessera access token (`at+jwt`, ES256, the tenant's kid) with these claims over the defaults;
   * bound to a DPoP key (RFC 9449 §6.1: `cnf.jkt`, its RFC 7638 thumbprint) when `jkt` is given.
   */
  token(slug: string, audience: string, extra: Record<string, unknown> = {}, jkt?: string) {
    const t = this.tenant(slug);
    return es256(
      { alg: 'ES256', typ: 'at+jwt', kid: t.kid },
      this.claims(slug, audience, { ...(jkt ? { cnf: { jkt } } : {}), ...extra }),
      t.privateKey,
    );
  }
}

/** ES256 over `header.payload` with P-1363 signatures (JWS), or DER when asked (a wrong encoding). */
export function es256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject,
  encoding: 'ieee-p1363' | 'der' = 'ieee-p1363',
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: encoding }).toString('base64url')}`;
}

export function hs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string,
) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function unsigned(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  sig = '',
) {
  return `${b64(header)}.${b64(payload)}.${sig}`;
}
