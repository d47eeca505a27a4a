import { Controller, Get, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RequireScopes, TesseraAuthModule } from '@tessera/nest-guards';
import { generateKeyPairSync } from 'node:crypto';
import { freePort, send } from '../support/harness';
import { es256, hs256, StubIssuer, unsigned } from '../support/jwt-issuer';

/**
 * Guard cases (BI-56 … BI-68): the guard library in front of a real Nest route, over HTTP, with
 * a JWKS served like Tessera's. Every refusal: 401 `Bearer error="invalid_token"`, no detail, and the
 * handler never ran.
 */
const AUDIENCE = 'https://api.example.test/orders';
let handled = 0;

@Controller('orders')
class OrdersController {
  @Get()
  @RequireScopes('orders:read')
  list() {
    handled++;
    return [];
  }

  @Post()
  @RequireScopes('orders:write')
  create() {
    handled++;
    return {};
  }
}

describe('the JWT guard refuses forged and misdirected tokens (BI-56 … BI-69)', () => {
  const issuer = new StubIssuer();
  let app: INestApplication;
  let url: string;
  let a: ReturnType<StubIssuer['tenant']>;

  beforeAll(async () => {
    await issuer.start(['a', 'b']);
    a = issuer.tenant('a');
    @Module({
      imports: [TesseraAuthModule.forRoot({ issuer: a.issuer, audience: AUDIENCE, mode: 'jwt' })],
      controllers: [OrdersController],
    })
    class GuardedModule {}
    app = await NestFactory.create(GuardedModule, { logger: false, abortOnError: false });
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await app?.close();
    await issuer.stop();
  });

  const call = (token: string, method = 'GET') =>
    send(`${url}/orders`, { method, headers: { authorization: `Bearer ${token}` } });
  const valid = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    es256(
      { alg: 'ES256', typ: 'at+jwt', kid: a.kid, ...header },
      issuer.claims('a', AUDIENCE, extra),
      a.privateKey,
    );

  async function expectRefused(token: string) {
    const before = handled;
    const res = await call(token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.text).not.toMatch(/ERR_|jose|alg|signature|expired|audience|issuer/i); // no detail
    expect(handled).toBe(before);
  }

  it('accepts a well-formed token (positive control)', async () => {
    const before = handled;
    expect((await call(valid())).status).toBe(200);
    expect(handled).toBe(before + 1);
  });

  describe('BI-56 alg none', () => {
    it.each(['none', 'None', 'NONE'])('refuses alg %s with an empty signature', async (alg) => {
      await expectRefused(
        unsigned({ alg, typ: 'at+jwt', kid: a.kid }, issuer.claims('a', AUDIENCE)),
      );
    });
    it('refuses alg none carrying the signature of a valid token', async () => {
      const sig = valid().split('.')[2];
      await expectRefused(
        unsigned({ alg: 'none', typ: 'at+jwt' }, issuer.claims('a', AUDIENCE), sig),
      );
    });
  });

  describe('BI-57 HS256 signed with the public key (key confusion)', () => {
    const pubJwk = () => JSON.stringify({ ...a.publicKey.export({ format: 'jwk' }), kid: a.kid });
    const pem = () => a.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    it.each([
      ['the JWK JSON', () => pubJwk()],
      ['the PEM', () => pem()],
      ['the PEM with leading whitespace', () => `  \n${pem()}`],
    ])('refuses an HMAC over %s', async (_n, secret) => {
      await expectRefused(
        hs256({ alg: 'HS256', typ: 'at+jwt', kid: a.kid }, issuer.claims('a', AUDIENCE), secret()),
      );
    });
  });

  describe('BI-58/59 keys named by the token', () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    it('refuses a header jwk carrying the attacker’s key, signed with it', async () => {
      await expectRefused(
        es256(
          { alg: 'ES256', typ: 'at+jwt', jwk: attacker.publicKey.export({ format: 'jwk' }) },
          issuer.claims('a', AUDIENCE),
          attacker.privateKey,
        ),
      );
    });
    it.each(['jku', 'x5u'])('never fetches a %s URL named by the token', async (param) => {
      const before = issuer.fetches.length;
      await expectRefused(
        es256(
          { alg: 'ES256', typ: 'at+jwt', [param]: `${issuer.base}/attacker/jwks.json` },
          issuer.claims('a', AUDIENCE),
          attacker.privateKey,
        ),
      );
      expect(issuer.fetches.slice(before).filter((f) => f.includes('attacker'))).toEqual([]);
    });
  });

  describe('BI-60 kid games', () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    it.each([
      ['a path', '../../dev/null'],
      ['SQL', "' OR '1'='1"],
      ['4 KB', 'k'.repeat(4096)],
    ])('refuses a kid that is %s', async (_n, kid) => {
      await expectRefused(
        es256(
          { alg: 'ES256', typ: 'at+jwt', kid },
          issuer.claims('a', AUDIENCE),
          attacker.privateKey,
        ),
      );
    });
    it('refuses another tenant’s kid and key, even with our issuer and audience', async () => {
      const b = issuer.tenant('b');
      await expectRefused(
        es256(
          { alg: 'ES256', typ: 'at+jwt', kid: b.kid },
          issuer.claims('a', AUDIENCE),
          b.privateKey,
        ),
      );
    });
    it('fetches the JWKS at most once more for 1 000 random kids', async () => {
      const before = issuer.fetches.filter((f) => f.endsWith('/t/a/jwks.json')).length;
      for (let i = 0; i < 1000; i++) {
        const res = await call(
          es256(
            { alg: 'ES256', typ: 'at+jwt', kid: `random-${i}-${Math.random()}` },
            issuer.claims('a', AUDIENCE),
            attacker.privateKey,
          ),
        );
        expect(res.status).toBe(401);
      }
      const after = issuer.fetches.filter((f) => f.endsWith('/t/a/jwks.json')).length;
      expect(after - before).toBeLessThanOrEqual(1);
      expect((await call(valid())).status).toBe(200); // and real tokens still pass
    });
  });

  describe('BI-61 token type', () => {
    it.each([
      ['JWT (an ID token)', 'JWT'],
      ['logout+jwt', 'logout+jwt'],
      ['jwt', 'jwt'],
    ])('refuses typ %s', async (_n, typ) => {
      await expectRefused(valid({}, { typ }));
    });
    it('refuses a token without typ', async () => {
      await expectRefused(
        es256({ alg: 'ES256', kid: a.kid }, issuer.claims('a', AUDIENCE), a.privateKey),
      );
    });
    it.each(['at+JWT', 'application/at+jwt', 'Application/AT+JWT'])(
      'accepts typ %s (media types are case-insensitive, §5.3)',
      async (typ) => {
        expect((await call(valid({}, { typ }))).status).toBe(200);
      },
    );
  });

  describe('BI-62 issuer', () => {
    it.each([
      ['another tenant', () => issuer.tenant('b').issuer],
      ['a trailing slash', () => `${a.issuer}/`],
      ['upper case', () => a.issuer.toUpperCase()],
      ['missing', () => undefined],
    ])('refuses iss of %s', async (_n, iss) => {
      await expectRefused(valid({ iss: iss() }));
    });
  });

  describe('BI-64 audience', () => {
    it.each([
      ['another resource server', 'https://api.example.test/other'],
      ['a prefix of ours', 'https://api.example.test/ord'],
      ['missing', undefined],
      ['an empty array', []],
    ])('refuses aud of %s', async (_n, aud) => {
      await expectRefused(valid({ aud }));
    });
    it('accepts an aud array that contains ours', async () => {
      expect(
        (await call(valid({ aud: ['https://api.example.test/other', AUDIENCE] }))).status,
      ).toBe(200);
    });
  });

  describe('BI-65 times, claims and signature math', () => {
    const now = () => Math.floor(Date.now() / 1000);
    it.each([
      ['exp past the tolerance', () => ({ exp: now() - 120, iat: now() - 400 })],
      ['nbf in the future past the tolerance', () => ({ nbf: now() + 120 })],
      ['iat in the future past the tolerance', () => ({ iat: now() + 120, exp: now() + 400 })],
      ['exp as a string', () => ({ exp: String(now() + 300) })],
      ['exp missing', () => ({ exp: undefined })],
      ['sub missing', () => ({ sub: undefined })],
      ['client_id missing', () => ({ client_id: undefined })],
      ['jti missing', () => ({ jti: undefined })],
    ])('refuses %s', async (_n, extra) => {
      await expectRefused(valid(extra()));
    });
    it('refuses a tampered payload', async () => {
      const [h, , s] = valid().split('.');
      const p = Buffer.from(
        JSON.stringify(issuer.claims('a', AUDIENCE, { scope: 'orders:read orders:write' })),
      ).toString('base64url');
      await expectRefused(`${h}.${p}.${s}`);
    });
    it('refuses the signature of another token', async () => {
      const [h, p] = valid().split('.');
      await expectRefused(`${h}.${p}.${valid().split('.')[2]}`);
    });
    it('refuses an ECDSA signature with r = s = 0 (CVE-2022-21449)', async () => {
      const [h, p] = valid().split('.');
      await expectRefused(`${h}.${p}.${Buffer.alloc(64).toString('base64url')}`);
    });
    it('refuses a DER-encoded signature instead of P-1363', async () => {
      await expectRefused(
        es256(
          { alg: 'ES256', typ: 'at+jwt', kid: a.kid },
          issuer.claims('a', AUDIENCE),
          a.privateKey,
          'der',
        ),
      );
    });
  });

  describe('BI-66 JOSE denial of service', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    it('refuses a JWE with PBES2 and a huge p2c without working on it', async () => {
      const jwe = [
        b64({
          alg: 'PBES2-HS512+A256KW',
          enc: 'A256GCM',
          p2c: 2_000_000_000,
          p2s: 'AAAAAAAAAAAAAAAAAAAAAA',
          kid: a.kid,
        }),
        'AAAA',
        'AAAAAAAAAAAAAAAA',
        'AAAA',
        'AAAAAAAAAAAAAAAAAAAAAA',
      ].join('.');
      await expectRefused(jwe);
    });
    it('never reaches the handler with a 64 KB token (the HTTP layer refuses it first)', async () => {
      const before = handled;
      const res = await call(valid({ pad: 'x'.repeat(64 * 1024) }));
      expect(res.status).toBe(431);
      expect(handled).toBe(before);
    });
  });

  it('BI-68 answers a token lacking orders:write with 403 insufficient_scope and never runs the handler', async () => {
    const before = handled;
    const res = await call(valid(), 'POST');
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="orders:write"',
    );
    expect(handled).toBe(before);
  });
});
