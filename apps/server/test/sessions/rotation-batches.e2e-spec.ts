import { Browser } from '../support/browser';
import { signIn as signInAs, useTestServer, type TestServer } from '../support/harness';
import type { Reply } from '../support/http';
import { sample } from '../support/metrics';

// Group commit: rotations that arrive while one is in flight go out together as one statement.
// A burst of concurrent refreshes makes batches (the first go out alone, the rest wait and go
// together); each case puts one kind of presentation at the end of a burst of ordinary rotations and checks that every request still gets its own outcome, and that
// the rotation invariants hold inside a batch: one successor per token, reuse detected, a grace
// replay answered with the same successor.

const cb = 'https://app.example.test/cb';
const BURST = 24;

async function setup(t: TestServer, policy: Record<string, unknown>) {
  const { slug } = await t.given.tenant();
  const api = await t.given.resourceServer(slug, { scopes: [{ name: 'a', description: '' }] });
  const app = (name: string) =>
    t.given.app(slug, {
      name,
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [cb],
      policy,
      defaultResource: api.identifier,
      grants: [{ resourceServer: api.identifier, scopes: ['a'], flows: ['user'] }],
    });
  const web = await app('web');
  const other = await app('other');
  const user = await t.given.user(slug, {
    permissions: [{ resourceServer: api.identifier, scopes: ['a'] }],
  });
  const signIn = (client = web, browser?: Browser) =>
    signInAs(t, slug, {
      app: client,
      browser,
      redirectUri: cb,
      email: user.email,
      password: user.password,
      scope: 'openid a',
    });
  const refresh = (token: string, client = web) =>
    t.token(slug, { grant_type: 'refresh_token', refresh_token: token }, client);
  /** Refresh tokens of `n` fresh sign-ins, for the ordinary part of a burst. */
  const fresh = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i += 8) {
      const batch = Array.from({ length: Math.min(8, n - i) }, () => signIn());
      out.push(...(await Promise.all(batch)).map((x) => x.refresh_token));
    }
    return out;
  };
  return { slug, web, other, signIn, refresh, fresh };
}

/** Every token of the tenant has at most one successor (parent_id is unique: counted anyway). */
async function oneSuccessorEach(t: TestServer): Promise<void> {
  const rows = await t.sql(
    `SELECT parent_id, count(*)::int AS n FROM refresh_tokens WHERE parent_id IS NOT NULL
     GROUP BY parent_id HAVING count(*) > 1`,
  );
  expect(rows).toEqual([]);
}

/** What the rotation statements did since `before`: rotations sent, statements, failed ones. */
async function batchesSince(t: TestServer, before: Awaited<ReturnType<typeof batchSizes>>) {
  const now = await batchSizes(t);
  return {
    rotations: now.sum - before.sum,
    statements: now.count - before.count,
    failed: now.failed - before.failed,
  };
}

async function batchSizes(t: TestServer) {
  const text = (await t.get('/metrics')).text;
  return {
    sum: sample(text, 'tessera_rotation_batch_size_sum'),
    count: sample(text, 'tessera_rotation_batch_size_count'),
    failed: sample(text, 'tessera_rotation_batch_failures_total'),
  };
}

/**
 * A burst's requests, sent at once; the answers, and proof that its batches ran as written: a
 * statement that failed would hide a mishandled case behind the transactional path.
 */
async function burst(t: TestServer, requests: (() => Promise<Reply>)[]) {
  const before = await batchSizes(t);
  const answers = await Promise.all(requests.map((r) => r()));
  const done = await batchesSince(t, before);
  expect(done.failed).toBe(0);
  return { answers, ...done };
}

describe('group commit: rotations in one statement (grace 0, reuse revokes the family)', () => {
  const t = useTestServer();
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup(t, { reuseGraceSeconds: 0, onReuse: 'revoke-family' });
  });

  it('rotates a burst of families together, each request with its own new tokens', async () => {
    const tokens = await s.fresh(BURST);
    const { answers, rotations, statements } = await burst(
      t,
      tokens.map((rt) => () => s.refresh(rt)),
    );
    expect(answers.map((a) => a.status)).toEqual(tokens.map(() => 200));
    const successors = answers.map((a) => a.body.refresh_token as string);
    expect(new Set(successors).size).toBe(BURST);
    // every rotation took the one-statement path, in fewer statements than rotations
    expect(rotations).toBe(BURST);
    expect(statements).toBeLessThan(BURST);
    // each successor works once, and is the only successor of its parent
    const next = await Promise.all(successors.map((rt) => s.refresh(rt)));
    expect(next.map((a) => a.status)).toEqual(tokens.map(() => 200));
    await oneSuccessorEach(t);
  });

  it('answers two presentations of one token in a burst once: the other is reuse, and the family ends', async () => {
    const [twice, ...others] = await s.fresh(BURST);
    const { answers } = await burst(
      t,
      [...others, twice, twice].map((rt) => () => s.refresh(rt)),
    );
    const [a, b] = answers.slice(-2);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    expect(answers.slice(0, -2).map((x) => x.status)).toEqual(others.map(() => 200));
    // the one answered successor belongs to a family revoked by the replay
    const winner = a.status === 200 ? a : b;
    expect((await s.refresh(winner.body.refresh_token)).body.error).toBe('invalid_grant');
    await oneSuccessorEach(t);
  });

  it('detects reuse of an old token and refuses its family’s current one, in one burst', async () => {
    const first = await s.signIn();
    const current = (await s.refresh(first.refresh_token)).body.refresh_token as string;
    const others = await s.fresh(BURST);
    const { answers } = await burst(
      t,
      [...others, first.refresh_token, current].map((rt) => () => s.refresh(rt)),
    );
    const [replay, rotation] = answers.slice(-2);
    expect(replay.status).toBe(400);
    expect(answers.slice(0, -2).map((x) => x.status)).toEqual(others.map(() => 200));
    // whichever came first, the family ends: nothing issued to it works afterwards
    const survivors = [current, rotation.body.refresh_token].filter(Boolean) as string[];
    for (const rt of survivors) expect((await s.refresh(rt)).status).toBe(400);
    const [family] = await t.sql(
      `SELECT f.revocation_reason FROM refresh_token_families f WHERE f.session_id = $1`,
      [first.sid],
    );
    expect(family.revocation_reason).toBe('reuse_detected');
    await oneSuccessorEach(t);
  });

  it('rotates three families of one session together (two of one application): the session slides once, both surfaces are kept', async () => {
    const browser = new Browser();
    const web = await s.signIn(s.web, browser);
    const again = await s.signIn(s.web, browser); // the same session (single sign-on)
    const other = await s.signIn(s.other, browser);
    expect([again.sid, other.sid]).toEqual([web.sid, web.sid]);
    // the surfaces were last seen minutes ago: this burst records them again, each once
    await t.sql(
      `UPDATE session_surfaces SET last_seen_at = now() - interval '5 minutes' WHERE session_id = $1`,
      [web.sid],
    );
    const others = await s.fresh(BURST);
    const { answers } = await burst(t, [
      ...others.map((rt) => () => s.refresh(rt)),
      () => s.refresh(web.refresh_token, s.web),
      () => s.refresh(again.refresh_token, s.web),
      () => s.refresh(other.refresh_token, s.other),
    ]);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const surfaces = await t.sql(
      `SELECT count(*)::int AS n, bool_and(last_seen_at > now() - interval '1 minute') AS fresh
       FROM session_surfaces WHERE session_id = $1`,
      [web.sid],
    );
    expect(surfaces[0]).toEqual({ n: 2, fresh: true });
    const [session] = await t.sql(
      `SELECT revoked_at, idle_expires_at > now() AS alive FROM sessions WHERE id = $1`,
      [web.sid],
    );
    expect(session).toEqual({ revoked_at: null, alive: true });
    await oneSuccessorEach(t);
  });

  it('refuses a token of an ended session inside a burst without touching the others', async () => {
    const ended = await s.signIn(s.web, new Browser());
    await t.revokeSession(s.slug, ended.sid);
    const others = await s.fresh(BURST);
    const { answers } = await burst(
      t,
      [...others, ended.refresh_token].map((rt) => () => s.refresh(rt)),
    );
    const refused = answers[answers.length - 1];
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    expect(answers.slice(0, -1).map((x) => x.status)).toEqual(others.map(() => 200));
    // nothing was issued to the ended session's family
    const issued = await t.sql(
      `SELECT count(*)::int AS n FROM refresh_tokens rt JOIN refresh_token_families f ON f.id = rt.family_id
       WHERE f.session_id = $1 AND rt.generation > 0`,
      [ended.sid],
    );
    expect(issued[0].n).toBe(0);
  });
});

describe('group commit with a grace period', () => {
  const t = useTestServer();
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup(t, { reuseGraceSeconds: 30, onReuse: 'revoke-family' });
  });

  it('answers both presentations of one token in a burst with the same successor', async () => {
    const [twice, ...others] = await s.fresh(BURST);
    const { answers } = await burst(
      t,
      [...others, twice, twice].map((rt) => () => s.refresh(rt)),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const [a, b] = answers.slice(-2);
    expect(a.body.refresh_token).toBe(b.body.refresh_token);
    // the successor is live: the family was not revoked by the grace replay
    expect((await s.refresh(a.body.refresh_token)).status).toBe(200);
    await oneSuccessorEach(t);
  });
});
