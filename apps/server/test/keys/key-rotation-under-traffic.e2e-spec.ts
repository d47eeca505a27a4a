import { decodeProtectedHeader } from 'jose';
import { TesseraVerifier } from '@tessera/nest-guards';
import { eventually, send } from '../support/harness';
import {
  API,
  clientCredentials,
  describeOnServer,
  introspect,
  refresh,
  signInAll,
  SLUG,
  useFaultServer,
} from '../support/faults';

const ROTATIONS = 5;
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid!;

describeOnServer('FT-12 key rotation while traffic runs', () => {
  const w = useFaultServer({ reuseGraceSeconds: 10, users: 2 });

  it('forced rotations while clients mint, refresh and validate: no request fails', async () => {
    // the guard library as a resource server runs it, from discovery and the JWKS; the refetch
    // cooldown (which bounds refetches for garbage kids) is off so rotations can come faster than
    // it: what is under test is that a key is published before it signs and after it retires
    const verifier = new TesseraVerifier({
      issuer: w.server.issuer(SLUG),
      audience: API,
      mode: 'jwt',
      jwksCooldownSeconds: 0,
    });
    await verifier.init();
    const clients = await signInAll(w.server, 2);
    const admin = await w.server.adminToken();

    const failures: string[] = [];
    const byKid = new Map<string, number>();
    const minted: string[] = [];
    let running = true;
    const check = async (what: string, status: number, token: string | undefined) => {
      if (status !== 200 || !token) {
        failures.push(`${what}: ${status}`);
        return;
      }
      minted.push(token);
      byKid.set(kidOf(token), (byKid.get(kidOf(token)) ?? 0) + 1);
      try {
        await verifier.verify(token);
      } catch (err) {
        failures.push(`${what}: guard refused a token signed by ${kidOf(token)}: ${String(err)}`);
      }
      const i = await introspect(w.server, token);
      if (i.status !== 200 || i.body.active !== true)
        failures.push(`${what}: introspection ${i.status} ${i.text}`);
    };
    const loops = [
      ...[0, 1].map(async () => {
        while (running) {
          const r = await clientCredentials(w.server);
          await check('client_credentials', r.status, r.body.access_token);
        }
      }),
      ...clients.map(async (c) => {
        let rt = c.refreshToken;
        while (running) {
          const r = await refresh(w.server, rt);
          if (r.status === 200) rt = r.body.refresh_token;
          await check('refresh', r.status, r.body.access_token);
        }
      }),
    ];

    const activeKids: string[] = [];
    try {
      for (let i = 0; i < ROTATIONS; i++) {
        const res = await send(`${w.server.url}/admin/api/tenants/${SLUG}/keys/rotate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({ force: true }),
        });
        expect(res.status).toBe(200);
        const active = (res.body as Array<{ kid: string; state: string }>).find(
          (k) => k.state === 'active',
        )!.kid;
        activeKids.push(active);
        // traffic signed by the new key before the next rotation
        await eventually(() => expect(byKid.get(active) ?? 0).toBeGreaterThanOrEqual(5), 30_000);
      }
    } finally {
      running = false;
      await Promise.all(loops);
    }
    expect(failures).toEqual([]);
    expect(new Set(activeKids).size).toBe(ROTATIONS);

    // every token minted during the run, whatever key signed it, still validates for a newcomer:
    // retired keys stay published while their tokens live
    const newcomer = new TesseraVerifier({
      issuer: w.server.issuer(SLUG),
      audience: API,
      mode: 'jwt',
    });
    await newcomer.init();
    const firstOfEachKey = [
      ...new Map(minted.reverse().map((t) => [kidOf(t), t] as const)).values(),
    ];
    expect(firstOfEachKey.length).toBeGreaterThanOrEqual(ROTATIONS);
    for (const token of firstOfEachKey) await expect(newcomer.verify(token)).resolves.toBeDefined();
    verifier.close();
    newcomer.close();
  });
});
