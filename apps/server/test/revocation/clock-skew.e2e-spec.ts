import { TesseraVerifier, TokenRejectedError } from '@tessera/nest-guards';
import { loadConfig } from '../../src/config';
import { createTestDatabase, type TestDatabase } from '../../../../test-setup/test-database';
import { claims } from '../support/harness';
import { ServerProcess } from '../support/processes';
import {
  API,
  APP,
  bootstrap,
  clientCredentials,
  describeOnServer,
  introspect,
  refresh,
  revoke,
  signInAll,
  SLUG,
} from '../support/faults';

/**
 * Instances behind one PUBLIC_URL (one issuer) on one database, their clocks apart: the tolerance
 * of every validator is 60 s (the guard library's default, the server's own iat check).
 */
describeOnServer('FT-11 clock skew between server instances', () => {
  let db: TestDatabase;
  let a: ServerProcess;
  const skewed: Record<'ahead' | 'behind' | 'tooFar', ServerProcess> = {} as never;
  let verifier: TesseraVerifier;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await ServerProcess.start({
      databaseUrl: db.url,
      bootstrap: bootstrap({ reuseGraceSeconds: 10, users: 1 }),
    });
    const instance = (offsetMs: number) =>
      ServerProcess.start({
        databaseUrl: db.url,
        env: { PUBLIC_URL: a.url, CLOCK_OFFSET_MS: String(offsetMs) },
      });
    [skewed.ahead, skewed.behind, skewed.tooFar] = await Promise.all([
      instance(30_000),
      instance(-30_000),
      instance(120_000),
    ]);
    verifier = new TesseraVerifier({ issuer: a.issuer(SLUG), audience: API, mode: 'jwt' });
    await verifier.init();
  }, 180_000); // the first suite to start a server may build it
  afterAll(async () => {
    verifier?.close();
    await Promise.all([a, ...Object.values(skewed)].map((p) => p?.stop()));
    await db?.drop();
  });

  it.each(['ahead', 'behind'] as const)(
    'tokens minted by the instance 30 s %s pass introspection at the other and the guard library',
    async (which) => {
      const b = skewed[which];
      const minted = (await clientCredentials(b)).body.access_token as string;
      // the skew is real: the token says when the skewed instance thinks it is
      const drift = claims(minted).iat - Math.floor(Date.now() / 1000);
      expect(Math.abs(drift - (which === 'ahead' ? 30 : -30))).toBeLessThanOrEqual(5);

      expect((await introspect(a, minted)).body).toMatchObject({
        active: true,
        client_id: APP.clientId,
      });
      await expect(verifier.verify(minted)).resolves.toMatchObject({
        clientId: APP.clientId,
        scopes: ['orders:read'],
      });
      // and the other way round
      const fromA = (await clientCredentials(a)).body.access_token as string;
      expect((await introspect(b, fromA)).body.active).toBe(true);
    },
  );

  it('a sign-in across instances: code at one, exchange and rotations at the others', async () => {
    const [s] = await signInAll(skewed.ahead, 1);
    let rt = s.refreshToken;
    for (const at of [skewed.behind, a, skewed.ahead, skewed.behind]) {
      const r = await refresh(at, rt);
      expect(r.status).toBe(200);
      rt = r.body.refresh_token;
      expect((await introspect(a, r.body.access_token)).body.active).toBe(true);
      await expect(verifier.verify(r.body.access_token)).resolves.toMatchObject({
        sid: s.sid,
      });
    }
  });

  it('a family revoked at one instance ends the access tokens the instance 30 s ahead minted for it', async () => {
    const [s] = await signInAll(skewed.ahead, 1);
    const r = await refresh(skewed.ahead, s.refreshToken);
    expect(r.status).toBe(200);
    const minted = [s.accessToken, r.body.access_token as string];
    for (const at of minted) {
      // a session's token is dated by the database's clock, not the minting instance's
      expect(Math.abs(claims(at).iat - Math.floor(Date.now() / 1000))).toBeLessThanOrEqual(5);
      expect((await introspect(a, at)).body.active).toBe(true);
    }
    // RFC 7009 §2.1: revoking the refresh token revokes its family and the family's access tokens
    expect((await revoke(a, r.body.refresh_token)).status).toBe(200);
    for (const at of minted)
      for (const instance of [a, skewed.ahead, skewed.behind])
        expect((await introspect(instance, at)).body).toEqual({ active: false });
  });

  it('an access token revoked at a skewed instance is inactive at the others', async () => {
    const minted = (await clientCredentials(skewed.ahead)).body.access_token as string;
    const revoked = await revoke(skewed.behind, minted);
    expect(revoked.status).toBe(200);
    expect((await introspect(a, minted)).body).toEqual({ active: false });
    expect((await introspect(skewed.ahead, minted)).body).toEqual({ active: false });
  });

  it('beyond the tolerance (120 s ahead) tokens are refused: the tolerance is real', async () => {
    const minted = (await clientCredentials(skewed.tooFar)).body.access_token as string;
    expect((await introspect(a, minted)).body).toEqual({ active: false });
    await expect(verifier.verify(minted)).rejects.toBeInstanceOf(TokenRejectedError);
  });
});

describe('CLOCK_OFFSET_MS', () => {
  it('is refused unless NODE_ENV=test: a deployment cannot run with a shifted clock by accident', () => {
    expect(() => loadConfig({ CLOCK_OFFSET_MS: '30000' })).toThrow(
      /^Invalid configuration:\n {2}CLOCK_OFFSET_MS: only for tests/,
    );
    expect(() => loadConfig({ CLOCK_OFFSET_MS: '30000', NODE_ENV: 'production' })).toThrow(
      /CLOCK_OFFSET_MS/,
    );
    expect(loadConfig({ CLOCK_OFFSET_MS: '30000', NODE_ENV: 'test' }).clockOffsetMs).toBe(30000);
    expect(loadConfig({ CLOCK_OFFSET_MS: '0', NODE_ENV: 'production' }).clockOffsetMs).toBe(0);
  });
});
