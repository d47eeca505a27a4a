import { basic, eventually, send, useTestServer } from '../support/harness';
import { world, type World } from '../support/world';

/**
 * BI-51 … BI-55 (RFC 7662) — inactive states not pinned elsewhere: expired, revoked, session
 * revoked; the body is exactly {"active":false}, never a reason.
 */
describe('introspection (BI-51 … BI-55)', () => {
  const t = useTestServer();
  let w: World;
  beforeAll(async () => {
    w = await world(t);
  });
  const expectInactive = (res: { status: number; text: string; headers: Headers }) => {
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"active":false}');
    expect(res.headers.get('cache-control')).toBe('no-store');
  };

  it('BI-53 answers exactly {"active":false} for a revoked access token', async () => {
    const s = await w.signIn();
    await w.revoke(s.access_token);
    expectInactive(await w.introspect(s.access_token));
  });

  it('BI-53 answers exactly {"active":false} once the session is revoked', async () => {
    const s = await w.signIn();
    await t.revokeSession(w.slug, s.sid, 'test');
    expectInactive(await w.introspect(s.access_token));
    expectInactive(await w.introspect(s.refresh_token, w.web));
  });

  it('BI-53 answers exactly {"active":false} for an expired token', async () => {
    const rs = await t.given.resourceServer(w.slug, {
      scopes: [{ name: 'short', description: '' }],
      accessTokenTtl: '5s',
    });
    const app = await t.given.app(w.slug, {
      grants: [{ resourceServer: rs.identifier, scopes: ['short'], flows: ['client_credentials'] }],
    });
    const token = (await w.cc(app)).body.access_token as string;
    const asRs = await t.given.resourceServerCredentials(w.slug, rs.id);
    expect((await w.introspect(token, asRs)).body.active).toBe(true); // 5 s to get here
    await eventually(async () => expectInactive(await w.introspect(token, asRs)), 15000);
  });

  it('BI-51 refuses a caller with no credentials or with a user access token as bearer', async () => {
    const s = await w.signIn();
    for (const headers of [{}, { authorization: `Bearer ${s.access_token}` }] as Array<
      Record<string, string>
    >) {
      const res = await w.post('introspect', { token: s.access_token }, headers);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect(res.text).not.toContain('"active"');
    }
  });

  it('BI-51 refuses a public client as caller', async () => {
    const s = await w.signIn();
    const res = await w.post('introspect', { token: s.access_token, client_id: w.spa.clientId });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('"active"');
  });

  it('remembers a verified signature, yet ends the token the moment its key leaves the JWKS', async () => {
    const own = await world(t); // its keys are rotated below
    const s = await own.signIn();
    expect((await own.introspect(s.access_token)).body.active).toBe(true);
    expect((await own.introspect(s.access_token)).body.active).toBe(true); // from memory now
    // a different signature over the same header and claims is not the verified token
    const [h, p, sig] = s.access_token.split('.');
    const i = 10;
    const other = sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);
    expectInactive(await own.introspect(`${h}.${p}.${other}`));

    const kid = JSON.parse(Buffer.from(h, 'base64url').toString()).kid as string;
    await t.sql(
      `UPDATE signing_keys SET state = 'retired', publish_until = now() - interval '1 second' WHERE kid = $1`,
      [kid],
    );
    const rotated = await t.json(
      'POST',
      `/admin/api/tenants/${own.slug}/keys/rotate`,
      { force: true },
      await t.adminToken(),
    ); // drops this instance's JWKS cache
    expect(rotated.status).toBe(200);
    expectInactive(await own.introspect(s.access_token));
  });

  it('accepts one spelling of a signature only (base64url with zero spare bits, RFC 4648 §3.5)', async () => {
    const s = await w.signIn();
    const [h, p, sig] = s.access_token.split('.');
    // a 64-byte signature is 86 characters; the last carries 2 bits and 4 spare ones
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(
      sig.at(-1)!,
    );
    expect(last & 0b1111).toBe(0);
    const twin = `${h}.${p}.${sig.slice(0, -1)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[last | 1]}`;
    expect(Buffer.from(twin.split('.')[2], 'base64url')).toEqual(Buffer.from(sig, 'base64url')); // same bytes
    expectInactive(await w.introspect(twin));
    expect((await w.introspect(s.access_token)).body.active).toBe(true);
  });

  it('never reads the token from the query string', async () => {
    const s = await w.signIn();
    const res = await send(`${w.issuer}/introspect?token=${s.access_token}`, {
      method: 'POST',
      headers: {
        authorization: basic(w.rsCreds.clientId, w.rsCreds.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });
});
