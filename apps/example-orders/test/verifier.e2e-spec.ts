import { createLocalJWKSet } from 'jose';
import { generateKeyPairSync, sign } from 'node:crypto';
import { TesseraVerifier, TokenRejectedError } from '@tessera/nest-guards';
import { send, useTestServer } from '../../server/test/support/harness';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('the verification core against a real Tessera', () => {
  const t = useTestServer();
  let slug: string;
  let audience: string;
  let app: { clientId: string; secret: string };

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    audience = (
      await t.given.resourceServer(slug, {
        scopes: [{ name: 'a', description: '' }],
        accessTokenTtl: '1s',
      })
    ).identifier;
    app = await t.given.app(slug, {
      grants: [{ resourceServer: audience, scopes: ['a'], flows: ['client_credentials'] }],
    });
  });

  it('refuses a token past exp beyond the clock tolerance', async () => {
    const verifier = new TesseraVerifier({
      issuer: t.issuer(slug),
      audience,
      mode: 'jwt',
      clockToleranceSeconds: 1,
    });
    await verifier.init();
    const token = (await t.token(slug, { grant_type: 'client_credentials' }, app)).body
      .access_token;
    await expect(verifier.verify(token)).resolves.toMatchObject({
      clientId: app.clientId,
      scopes: ['a'],
    });
    await new Promise((r) => setTimeout(r, 2600));
    await expect(verifier.verify(token)).rejects.toEqual(new TokenRejectedError('ERR_JWT_EXPIRED'));
  });

  it('refetches the JWKS at most once per cooldown however many unknown kids arrive', async () => {
    const verifier = new TesseraVerifier({
      issuer: t.issuer(slug),
      audience,
      mode: 'jwt',
      jwksCooldownSeconds: 30,
    });
    await verifier.init();
    const fetchesBefore = t.logs.lines.filter((l) => l.includes(`/t/${slug}/jwks.json`)).length;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 100; i++) {
      const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: `random-${i}-${Math.random()}` })}.${b64({ iss: t.issuer(slug), aud: audience, sub: 'x', client_id: 'x', jti: `${i}`, iat: now, exp: now + 60 })}`;
      const token = `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      await expect(verifier.verify(token)).rejects.toBeInstanceOf(TokenRejectedError);
    }
    const fetches =
      t.logs.lines.filter((l) => l.includes(`/t/${slug}/jwks.json`)).length - fetchesBefore;
    expect(fetches).toBeLessThanOrEqual(1);
    // and it still verifies real tokens
    const real = (await t.token(slug, { grant_type: 'client_credentials' }, app)).body.access_token;
    await expect(verifier.verify(real)).resolves.toBeTruthy();
    expect(createLocalJWKSet((await send(`${t.issuer(slug)}/jwks.json`)).body)).toBeTruthy();
  });
});
