import { useTestServer, type TestServer, signIn as signInAs, claims } from '../support/harness';

const cb = 'https://app.example.test/cb';

async function setup(t: TestServer, policy: Record<string, unknown>) {
  const { slug } = await t.given.tenant();
  const api = (
    await t.given.resourceServer(slug, {
      scopes: [
        { name: 'a', description: '' },
        { name: 'b', description: '' },
        { name: 'c', description: '' },
      ],
    })
  ).identifier;
  const other = (await t.given.resourceServer(slug, { scopes: [{ name: 'x', description: '' }] }))
    .identifier;
  const app = await t.given.app(slug, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [cb],
    policy,
    defaultResource: api,
    grants: [
      { resourceServer: api, scopes: ['a', 'b'], flows: ['user'] },
      { resourceServer: other, scopes: ['x'], flows: ['user'] },
    ],
  });
  const user = await t.given.user(slug, {
    permissions: [
      { resourceServer: api, scopes: ['a', 'b', 'c'] },
      { resourceServer: other, scopes: ['x'] },
    ],
  });
  const signIn = () =>
    signInAs(t, slug, {
      app,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'openid a b x',
    });
  const refresh = (
    token: string,
    extra: Record<string, string | string[]> = {},
    auth: { clientId: string; secret: string } = app,
  ) => t.token(slug, { grant_type: 'refresh_token', refresh_token: token, ...extra }, auth);
  return { slug, api, other, app, user, signIn, refresh };
}

describe('refresh tokens: rotation and reuse detection (grace 0)', () => {
  const t = useTestServer();
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup(t, { reuseGraceSeconds: 0, onReuse: 'revoke-session' });
  });

  it('rotates: a new refresh token each time, the old one marked used', async () => {
    const { refresh_token: rt0 } = await s.signIn();
    const r1 = await s.refresh(rt0);
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r1.body.refresh_token).not.toBe(rt0);
    const r2 = await s.refresh(r1.body.refresh_token);
    expect(r2.status).toBe(200);
    expect(r2.body.refresh_token).not.toBe(r1.body.refresh_token);
  });

  it('revokes the session when a used refresh token returns, and the newest token and its access tokens die with it', async () => {
    const signedIn = await s.signIn();
    const r1 = (await s.refresh(signedIn.refresh_token)).body;
    const r2 = (await s.refresh(r1.refresh_token)).body;
    const replay = await s.refresh(signedIn.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({
      error: 'invalid_grant',
      error_description: 'The grant is invalid or expired',
    });
    expect((await s.refresh(r2.refresh_token)).body.error).toBe('invalid_grant');
    expect(
      await t.sql(`SELECT revocation_reason FROM sessions WHERE id = $1`, [signedIn.sid]),
    ).toEqual([{ revocation_reason: 'reuse_detected' }]);
    expect(
      await t.sql(`SELECT revocation_reason FROM refresh_token_families WHERE session_id = $1`, [
        signedIn.sid,
      ]),
    ).toEqual([{ revocation_reason: 'reuse_detected' }]);
    const events = await t.sql(
      `SELECT type, detail FROM audit_events WHERE session_id = $1 AND type = 'refresh_token_reuse'`,
      [signedIn.sid],
    );
    expect(events).toHaveLength(1);
    expect(events[0].detail).toMatchObject({ action: 'revoke-session', generation: 0 });
    // the SSO session is gone: the browser must sign in again
    const again = await signedIn.browser.get(
      `${t.issuer(s.slug)}/authorize?response_type=code&client_id=${s.app.clientId}&redirect_uri=${encodeURIComponent(cb)}`,
    );
    expect(again.status).toBe(200);
  });

  it('detects a replay even when rotations happen within the same second', async () => {
    const signedIn = await s.signIn();
    const r1 = (await s.refresh(signedIn.refresh_token)).body;
    await s.refresh(r1.refresh_token);
    expect((await s.refresh(signedIn.refresh_token)).body.error).toBe('invalid_grant');
    expect(
      (
        await t.sql(`SELECT revoked_at IS NOT NULL AS r FROM sessions WHERE id = $1`, [
          signedIn.sid,
        ])
      )[0].r,
    ).toBe(true);
  });

  it('treats a replay as reuse even when the rotation committed after the replay began (no grace at 0)', async () => {
    // Two concurrent refreshes: the loser's transaction starts before the winner's commits, so
    // its now() is earlier than the winner's used_at. A used_at in its future stands for that.
    const signedIn = await s.signIn();
    const [{ id }] = await t.sql(
      `SELECT rt.id FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id
       WHERE f.session_id = $1 AND rt.generation = 0`,
      [signedIn.sid],
    );
    const winner = await s.refresh(signedIn.refresh_token);
    expect(winner.status).toBe(200);
    await t.sql(`UPDATE refresh_tokens SET used_at = now() + interval '2 seconds' WHERE id = $1`, [
      id,
    ]);
    const replay = await s.refresh(signedIn.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect(replay.body.refresh_token).toBeUndefined();
    expect(
      (await t.sql(`SELECT revocation_reason FROM sessions WHERE id = $1`, [signedIn.sid]))[0]
        .revocation_reason,
    ).toBe('reuse_detected');
  });

  it('lets exactly one of 50 concurrent refreshes of one token win; the others get invalid_grant, none a 5xx', async () => {
    const signedIn = await s.signIn();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => s.refresh(signedIn.refresh_token)),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant'),
    ).toHaveLength(49);
    const family = await t.sql(
      `SELECT id, revoked_at IS NOT NULL AS revoked FROM refresh_token_families WHERE session_id = $1`,
      [signedIn.sid],
    );
    expect(family[0].revoked).toBe(true);
    expect(
      (
        await t.sql(
          `SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1 AND parent_id IS NOT NULL`,
          [family[0].id],
        )
      )[0].n,
    ).toBe(1);
    expect((await s.refresh(ok[0].body.refresh_token)).body.error).toBe('invalid_grant');
    expect(
      await t.sql(
        `SELECT count(*)::int AS n FROM audit_events WHERE session_id = $1 AND type = 'refresh_token_reuse'`,
        [signedIn.sid],
      ),
    ).toEqual([{ n: 1 }]);
  });

  it('refuses another client’s refresh token without consuming it', async () => {
    const signedIn = await s.signIn();
    const intruder = await t.given.app(s.slug, {
      grantTypes: ['refresh_token', 'authorization_code'],
      redirectUris: [cb],
    });
    const res = await s.refresh(signedIn.refresh_token, {}, intruder);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect((await s.refresh(signedIn.refresh_token)).status).toBe(200);
  });

  it('requires a confidential client to authenticate', async () => {
    const signedIn = await s.signIn();
    const res = await t.token(s.slug, {
      grant_type: 'refresh_token',
      refresh_token: signedIn.refresh_token,
      client_id: s.app.clientId,
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect((await s.refresh(signedIn.refresh_token)).status).toBe(200);
  });

  it.each([
    ['empty', ''],
    ['10 KB', 'A'.repeat(10240)],
    ['not base64url', '!!!!****'],
    ['SQL', "' OR 1=1--"],
    ['a NUL byte', 'abc\u0000def'],
  ])('answers the same invalid_grant for a %s refresh token', async (_n, value) => {
    const res = await s.refresh(value);
    expect(res.status).toBe(400);
    expect(['invalid_grant', 'invalid_request']).toContain(res.body.error);
    if (value)
      expect(res.body).toEqual({
        error: 'invalid_grant',
        error_description: 'The grant is invalid or expired',
      });
  });

  it('refuses another tenant’s valid refresh token', async () => {
    const elsewhere = await setup(t, {});
    const theirs = await elsewhere.signIn();
    const res = await s.refresh(theirs.refresh_token);
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'The grant is invalid or expired',
    });
    expect((await elsewhere.refresh(theirs.refresh_token)).status).toBe(200);
  });

  describe('scopes and resources on refresh', () => {
    it('down-scopes the access token without narrowing the family; never widens; an unknown scope consumes nothing', async () => {
      const signedIn = await s.signIn();
      expect(claims(signedIn.access_token).scope).toBe('a b');
      const narrow = await s.refresh(signedIn.refresh_token, { scope: 'a' });
      expect(narrow.status).toBe(200);
      expect(narrow.body.scope).toBe('a');
      expect(claims(narrow.body.access_token).scope).toBe('a');
      const wider = await s.refresh(narrow.body.refresh_token, { scope: 'a c' });
      expect(wider.status).toBe(400);
      expect(wider.body.error).toBe('invalid_scope');
      const full = await s.refresh(narrow.body.refresh_token);
      expect(full.status).toBe(200);
      expect(claims(full.body.access_token).scope).toBe('a b');
    });

    it('mints tokens for each resource granted at sign-in, each with its own scopes; others are invalid_target and consume nothing', async () => {
      const signedIn = await s.signIn();
      const forOther = await s.refresh(signedIn.refresh_token, { resource: s.other });
      expect(forOther.status).toBe(200);
      expect(claims(forOther.body.access_token)).toMatchObject({ aud: s.other, scope: 'x' });
      const unknown = await s.refresh(forOther.body.refresh_token, {
        resource: 'https://not-granted.example/',
      });
      expect(unknown.body.error).toBe('invalid_target');
      const back = await s.refresh(forOther.body.refresh_token, { resource: s.api });
      expect(back.status).toBe(200);
      expect(claims(back.body.access_token)).toMatchObject({ aud: s.api, scope: 'a b' });
    });
  });
});

describe('refresh tokens: the grace window (10 s) for concurrent refreshes and lost responses', () => {
  const t = useTestServer();
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup(t, { reuseGraceSeconds: 10, onReuse: 'revoke-family' });
  });

  it('answers 50 concurrent refreshes of one token with the same successor; the family stays one line', async () => {
    const signedIn = await s.signIn();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => s.refresh(signedIn.refresh_token)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const successors = new Set(results.map((r) => r.body.refresh_token));
    expect(successors.size).toBe(1);
    const [successor] = successors;
    expect(successor).not.toBe(signedIn.refresh_token);
    const family = (
      await t.sql(`SELECT id FROM refresh_token_families WHERE session_id = $1`, [signedIn.sid])
    )[0].id;
    expect(
      await t.sql(
        `SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1 AND used_at IS NULL`,
        [family],
      ),
    ).toEqual([{ n: 1 }]);
    expect(
      await t.sql(`SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1`, [family]),
    ).toEqual([{ n: 2 }]);
    expect(
      (
        await t.sql(
          `SELECT grace_replays FROM refresh_tokens WHERE family_id = $1 AND generation = 0`,
          [family],
        )
      )[0].grace_replays,
    ).toBe(49);
    const next = await s.refresh(successor!);
    expect(next.status).toBe(200);
  });

  it('lets a client that lost the response recover with the token it held', async () => {
    const signedIn = await s.signIn();
    const lost = await s.refresh(signedIn.refresh_token); // the response never reached the client
    const retry = await s.refresh(signedIn.refresh_token);
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(lost.body.refresh_token);
    expect(retry.body.access_token).not.toBe(lost.body.access_token);
  });

  it('covers only the immediate predecessor: after two rotations the first token is reuse and kills the family', async () => {
    const signedIn = await s.signIn();
    const r1 = (await s.refresh(signedIn.refresh_token)).body.refresh_token;
    const r2 = (await s.refresh(r1)).body.refresh_token;
    expect((await s.refresh(signedIn.refresh_token)).body.error).toBe('invalid_grant');
    expect((await s.refresh(r2)).body.error).toBe('invalid_grant');
    const fam = await t.sql(
      `SELECT revocation_reason FROM refresh_token_families WHERE session_id = $1`,
      [signedIn.sid],
    );
    expect(fam).toEqual([{ revocation_reason: 'reuse_detected' }]);
    // revoke-family: the session itself lives on
    expect(
      (await t.sql(`SELECT revoked_at FROM sessions WHERE id = $1`, [signedIn.sid]))[0].revoked_at,
    ).toBeNull();
  });

  it('treats a replay after the grace as reuse', async () => {
    const signedIn = await s.signIn();
    const r1 = (await s.refresh(signedIn.refresh_token)).body.refresh_token;
    await t.sql(
      `UPDATE refresh_tokens SET used_at = used_at - interval '11 seconds' WHERE used_at IS NOT NULL AND family_id = (SELECT id FROM refresh_token_families WHERE session_id = $1)`,
      [signedIn.sid],
    );
    expect((await s.refresh(signedIn.refresh_token)).body.error).toBe('invalid_grant');
    expect((await s.refresh(r1)).body.error).toBe('invalid_grant');
  });

  it('never honours a revoked family within the grace', async () => {
    const signedIn = await s.signIn();
    await s.refresh(signedIn.refresh_token);
    await t.sql(
      `UPDATE refresh_token_families SET revoked_at = now(), revocation_reason = 'revoked' WHERE session_id = $1`,
      [signedIn.sid],
    );
    expect((await s.refresh(signedIn.refresh_token)).body.error).toBe('invalid_grant');
  });
});

describe('refresh tokens with rotation off', () => {
  const t = useTestServer();
  it('returns the same refresh token, which keeps working', async () => {
    const s = await setup(t, { rotation: false });
    const signedIn = await s.signIn();
    const r1 = await s.refresh(signedIn.refresh_token);
    const r2 = await s.refresh(signedIn.refresh_token);
    expect(r1.body.refresh_token).toBe(signedIn.refresh_token);
    expect(r2.status).toBe(200);
    expect(r2.body.refresh_token).toBe(signedIn.refresh_token);
  });
});
