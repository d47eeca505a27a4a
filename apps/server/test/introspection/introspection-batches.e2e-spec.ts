import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { KeysService } from '../../src/keys';
import { SessionsService } from '../../src/sessions';
import { isServerMode } from '../../../../test-setup/test-database';
import { claims, eventually, useTestServer, type TestServer } from '../support/harness';
import type { Reply } from '../support/http';
import { sample } from '../support/metrics';
import { world, type World } from '../support/world';

// Group commit of introspection: the liveness checks that arrive while two are in flight go out
// together as one statement. Each case below is a token whose answer comes from that statement
// (its signature checks out): a burst mixes every kind, each repeated and interleaved with live
// tokens of two tenants, and every caller must get its own token's answer, never its neighbour's.

interface Case {
  name: string;
  token: string;
  /** Whom it is presented to: its own tenant's introspection endpoint. */
  at: World;
  active: boolean;
}

/** Copies of each case in a burst: each lands among others, at various places in its batch. */
const COPIES = 3;

async function cases(t: TestServer): Promise<Case[]> {
  const a = await world(t);
  const b = await world(t); // another tenant: live tokens of its own, a session A's token names
  const k = await world(t); // a tenant whose signing key is withdrawn
  const keys = t.server.app.get(KeysService);
  /** A token signed with the tenant's real key, as it would mint one with these claims. */
  const sign = (w: World, c: Record<string, unknown>) =>
    keys.sign(w.tenantId, { typ: 'at+jwt' }, { ...c, jti: randomUUID() });
  const event = (w: World, type: string, fields: Record<string, string>) =>
    t.sql(
      `INSERT INTO revocation_events (tenant_id, type, ${Object.keys(fields).join(', ')}, reason, not_before, expires_at)
       VALUES ($1, $2, ${Object.keys(fields).map((_, i) => `$${i + 3}`)}, 'test', now(), now() + interval '1 hour')`,
      [w.tenantId, type, ...Object.values(fields)],
    );

  const out: Case[] = [];
  const add = (name: string, at: World, token: string, active: boolean) =>
    out.push({ name, at, token, active });

  for (const w of [a, a, b]) add('live', w, (await w.signIn()).access_token, true);
  add('live client_credentials', a, (await a.cc()).body.access_token as string, true);

  const ended = await a.signIn();
  await t.revokeSession(a.slug, ended.sid);
  add('session revoked', a, ended.access_token, false);

  const jti = await a.signIn();
  expect((await a.revoke(jti.access_token)).status).toBe(200);
  add('jti revoked', a, jti.access_token, false);

  const family = await a.signIn();
  expect((await a.revoke(family.refresh_token)).status).toBe(200);
  add('family revoked', a, family.access_token, false);

  const withdrawn = await k.signIn();
  const [header] = withdrawn.access_token.split('.');
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
  await event(k, 'key', { kid });
  add('key withdrawn', k, withdrawn.access_token, false);

  // audiences are a text[] per token: a cut of any one of them ends it, of none leaves it
  const base = claims((await a.signIn()).access_token);
  const gone = `https://gone-${randomUUID()}.example.test`;
  await event(a, 'audience', { aud: gone });
  add('audience cut', a, await sign(a, { ...base, aud: [a.rs.identifier, gone] }), false);
  add('audience kept', a, await sign(a, { ...base, aud: [a.rs.identifier, `${gone}/kept`] }), true);

  // a subject cut ends the tokens naming no session (client_credentials)
  const cut = (await a.cc(a.second)).body.access_token as string;
  await event(a, 'user', { sub: a.second.clientId });
  add('subject cut', a, cut, false);

  // signed by A, naming a live session of B: no session of this tenant
  const theirs = claims((await b.signIn()).access_token);
  add('session of another tenant', a, await sign(a, { ...base, sid: theirs.sid }), false);
  return out;
}

async function batchMetrics(t: TestServer) {
  const text = (await t.get('/metrics')).text;
  return {
    checks: sample(text, 'tessera_introspection_batch_size_sum'),
    statements: sample(text, 'tessera_introspection_batch_size_count'),
    failed: sample(text, 'tessera_introspection_batch_failures_total'),
    waiting: sample(text, 'tessera_introspection_checks_waiting'),
  };
}

/** The requests' answers, and what the liveness statements did meanwhile. */
async function burst<T>(t: TestServer, requests: (() => Promise<T>)[]) {
  const before = await batchMetrics(t);
  const answers = await Promise.all(requests.map((r) => r()));
  const after = await batchMetrics(t);
  return {
    answers,
    checks: after.checks - before.checks,
    statements: after.statements - before.statements,
    failed: after.failed - before.failed,
  };
}

// A held transaction stops every statement of the embedded database (it runs one transaction at a
// time), the requests' own lookups too: the held-lock case needs a PostgreSQL server.
const onServer = isServerMode() ? it : it.skip;

/** Every case COPIES times, a copy of each kind after the other, shifted by one each round. */
function interleaved(all: Case[]): Case[] {
  return Array.from({ length: COPIES }, (_, r) => [...all.slice(r), ...all.slice(0, r)]).flat();
}

describe('group commit of introspection: a batch of liveness checks answers each token its own', () => {
  const t = useTestServer();
  let all: Case[];
  beforeAll(async () => {
    all = await cases(t);
    // alone, one at a time, each case answers as named (the single-token behaviour)
    for (const c of all)
      expect({ [c.name]: (await c.at.introspect(c.token)).body.active }).toEqual({
        [c.name]: c.active,
      });
  });

  onServer(
    'answers a batch of introspections over HTTP mixing every kind, each with its own token’s answer',
    async () => {
      const sent = interleaved(all);
      const before = await batchMetrics(t);
      const since = async () => {
        const now = await batchMetrics(t);
        return {
          checks: now.checks - before.checks,
          statements: now.statements - before.statements,
          failed: now.failed - before.failed,
          waiting: now.waiting,
        };
      };
      // a transaction holding the events table: the liveness statements wait behind it, so the two
      // sent first keep both places in flight while the burst queues up behind them
      const holder = t.server.app.get(DataSource).createQueryRunner();
      await holder.connect();
      let first: Promise<Reply[]>;
      let pending: Promise<Reply[]>;
      try {
        await holder.startTransaction();
        await holder.query(`LOCK TABLE revocation_events IN ACCESS EXCLUSIVE MODE`);
        first = Promise.all([all[0], all[0]].map((c) => c.at.introspect(c.token)));
        await eventually(async () => expect((await since()).statements).toBe(2));
        pending = Promise.all(sent.map((c) => c.at.introspect(c.token)));
        await eventually(async () => expect((await since()).waiting).toBe(sent.length));
      } finally {
        await holder.commitTransaction();
        await holder.release();
      }
      const answers = await pending;
      expect((await first).map((r) => r.body.active)).toEqual([true, true]);
      expect(answers.map((r, i) => ({ [sent[i].name]: r.body.active }))).toEqual(
        sent.map((c) => ({ [c.name]: c.active })),
      );
      // the whole burst went out as one statement after the two held ones, and it did not fail
      expect(await since()).toEqual({
        checks: sent.length + 2,
        statements: 3,
        failed: 0,
        waiting: 0,
      });
    },
  );

  it('sends the checks made at one moment as one statement after the two in flight', async () => {
    const sessions = t.server.app.get(SessionsService);
    const sent = interleaved(all);
    const facts = sent.map((c) => {
      const x = claims(c.token);
      const [header] = c.token.split('.');
      const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
      return {
        tenantId: c.at.tenantId,
        facts: {
          jti: x.jti,
          sid: x.sid,
          clientId: x.client_id,
          iat: x.iat,
          familyId: x.family_id,
          kid,
          sub: x.sub,
          aud: typeof x.aud === 'string' ? [x.aud] : x.aud,
        },
      };
    });
    // all submitted in one tick: the first two go out alone, the rest wait and go together
    const { answers, checks, statements, failed } = await burst(
      t,
      facts.map((f) => () => sessions.isAccessTokenLive(f.tenantId, f.facts)),
    );
    expect(answers.map((live, i) => ({ [sent[i].name]: live }))).toEqual(
      sent.map((c) => ({ [c.name]: c.active })),
    );
    expect({ checks, statements, failed }).toEqual({
      checks: sent.length,
      statements: 3,
      failed: 0,
    });
  });
});
