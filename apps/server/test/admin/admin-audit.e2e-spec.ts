import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { adminRouteOf } from '../../src/admin/admin-route';
import { claims, consoleSignIn, unique, useTestServer } from '../support/harness';
import { parseCsv } from '../support/csv';
import { servedRoutes } from '../support/routes';

interface Change {
  field: string;
  from?: unknown;
  to?: unknown;
  isSecret?: boolean;
}
interface Party {
  kind: string;
  id: string;
  name: string | null;
}
interface Event {
  id: string;
  type: string;
  actor: Party | null;
  subject: Party | null;
  changes: Change[];
  detail: Record<string, unknown>;
  createdAt: string;
}

/** A file answer as it is (the harness would parse JSON Lines as one JSON document). */
async function download(url: string, token: string) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('the audit log of administrative changes', () => {
  const t = useTestServer();
  let slug: string;
  let admin: { id: string; email: string; password: string; token: string };
  const base = () => `/admin/api/tenants/${slug}`;
  const as = (method: string, path: string, body?: unknown) =>
    t.json(method, `${base()}${path}`, body, admin.token);
  const events = async (query = ''): Promise<Event[]> => {
    const res = await t.get(`${base()}/audit?limit=500${query}`, admin.token);
    expect(res.status).toBe(200);
    return res.body as Event[];
  };
  /** The newest event of a type about a target. */
  const eventOf = async (type: string, subject: string): Promise<Event> => {
    const found = (await events(`&type=${type}&subject=${encodeURIComponent(subject)}`))[0];
    expect({ type, subject, found: !!found }).toEqual({ type, subject, found: true });
    return found;
  };
  const changeOf = (e: Event, field: string) => e.changes.find((c) => c.field === field);
  const secrets: string[] = [];

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    const a = await t.given.tenantAdmin(slug);
    admin = { id: a.id, email: a.email, password: a.password, token: a.tokens.access_token };
    secrets.push(a.password);
  });

  it('every route of the admin API that changes something declares the event it records', () => {
    const declared: string[] = [];
    const missing: string[] = [];
    for (const mod of t.server.app.get(ModulesContainer).values())
      for (const wrapper of mod.controllers.values()) {
        const proto = (wrapper.metatype as { prototype?: Record<string, unknown> } | null)
          ?.prototype;
        if (!proto) continue;
        for (const name of Object.getOwnPropertyNames(proto)) {
          const handler = proto[name];
          if (typeof handler !== 'function' || name === 'constructor') continue;
          const spec = adminRouteOf(handler);
          const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
          if (!spec || method === 'GET') continue;
          (spec.audit ? declared : missing).push(spec.operationId);
        }
      }
    expect(missing).toEqual([]);
    // the sweep saw every served non-GET admin route
    const served = servedRoutes(t.server.app).filter(
      (r) => r.method !== 'GET' && r.path.startsWith('/admin/api/'),
    );
    expect(declared.length).toBe(served.length);
    expect(declared.length).toBeGreaterThanOrEqual(22);
  });

  it('records who renamed an application, what it is, and the name old → new', async () => {
    const app = await as('POST', '/applications', {
      name: 'Billing',
      type: 'confidential',
      grantTypes: ['client_credentials'],
    });
    expect(app.status).toBe(201);
    const clientId = app.body.application.clientId as string;
    secrets.push(app.body.clientSecret);
    const created = await eventOf('admin.application_created', clientId);
    expect(created.actor).toMatchObject({ kind: 'user', id: admin.id, name: admin.email });
    expect(created.subject).toEqual({ kind: 'application', id: clientId, name: 'Billing' });
    expect(changeOf(created, 'name')).toEqual({ field: 'name', to: 'Billing' });
    expect(changeOf(created, 'clientSecret')).toEqual({ field: 'clientSecret', isSecret: true });

    expect((await as('PATCH', `/applications/${clientId}`, { name: 'Invoices' })).status).toBe(200);
    const renamed = await eventOf('admin.application_updated', clientId);
    expect(renamed.actor?.name).toBe(admin.email);
    expect(renamed.subject).toEqual({ kind: 'application', id: clientId, name: 'Invoices' });
    expect(renamed.changes).toEqual([{ field: 'name', from: 'Billing', to: 'Invoices' }]);

    const policy = await as('PATCH', `/applications/${clientId}`, {
      policy: { accessTokenTtl: '5m' },
    });
    expect(policy.status).toBe(200);
    expect(
      changeOf(await eventOf('admin.application_updated', clientId), 'policy.accessTokenTtl'),
    ).toMatchObject({ to: '5m' });

    const secret = await as('POST', `/applications/${clientId}/secret`);
    expect(secret.status).toBe(200);
    secrets.push(secret.body.clientSecret);
    expect((await eventOf('admin.application_secret_regenerated', clientId)).changes).toEqual([
      { field: 'clientSecret', isSecret: true },
    ]);

    expect((await as('POST', `/applications/${clientId}/revoke-tokens`)).status).toBe(200);
    expect((await eventOf('admin.application_tokens_revoked', clientId)).detail.outcome).toEqual(
      expect.objectContaining({ sessions: 0 }),
    );

    expect((await as('PATCH', `/applications/${clientId}`, { isDisabled: true })).status).toBe(200);
    expect((await eventOf('admin.application_updated', clientId)).changes).toEqual([
      { field: 'isDisabled', from: false, to: true },
    ]);

    expect((await as('DELETE', `/applications/${clientId}`)).status).toBe(204);
    const deleted = await eventOf('admin.application_deleted', clientId);
    // the name it had, though it is gone
    expect(deleted.subject).toEqual({ kind: 'application', id: clientId, name: 'Invoices' });
    expect(changeOf(deleted, 'name')).toEqual({ field: 'name', from: 'Invoices' });
  });

  it('records users: created, password reset (never its value), roles, permissions, sign-out, deleted', async () => {
    const rs = await t.given.resourceServer(slug, {
      scopes: [{ name: 'read', description: 'Read' }],
    });
    const password = `first ${unique('pw')}`;
    const user = await as('POST', '/users', { email: `${unique('ada')}@example.test`, password });
    expect(user.status).toBe(201);
    secrets.push(password);
    const id = user.body.id as string;
    const created = await eventOf('admin.user_created', id);
    expect(created.subject).toEqual({ kind: 'user', id, name: user.body.email });
    expect(changeOf(created, 'password')).toEqual({ field: 'password', isSecret: true });

    const reset = `second ${unique('pw')}`;
    secrets.push(reset);
    expect((await as('PATCH', `/users/${id}`, { password: reset, roles: ['admin'] })).status).toBe(
      200,
    );
    const updated = await eventOf('admin.user_updated', id);
    expect(updated.changes).toEqual(
      expect.arrayContaining([
        { field: 'roles', from: [], to: ['admin'] },
        { field: 'password', isSecret: true },
      ]),
    );

    const perms = await as('PUT', `/users/${id}/permissions`, [
      { resourceServer: rs.identifier, scopes: ['read'], permissionGroups: [] },
    ]);
    expect(perms.status).toBe(200);
    const set = await eventOf('admin.user_permissions_set', id);
    expect(changeOf(set, 'permissions')?.to).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resourceServer: rs.identifier, scopes: ['read'] }),
      ]),
    );

    expect((await as('POST', `/users/${id}/sign-out`, { reason: 'lost laptop' })).status).toBe(200);
    const out = await eventOf('admin.user_signed_out', id);
    expect(out.detail).toMatchObject({ reason: 'lost laptop', outcome: { ended: 0 } });

    expect((await as('DELETE', `/users/${id}`)).status).toBe(204);
    expect((await eventOf('admin.user_deleted', id)).subject).toMatchObject({
      kind: 'user',
      id,
      name: user.body.email,
    });
  });

  it('records resource servers (grants of scopes and groups), credentials, keys, tenant settings, administrators and sessions', async () => {
    const rs = await as('POST', '/resource-servers', {
      identifier: `https://api.example.test/${unique('rs')}`,
      name: 'Orders',
      scopes: [{ name: 'read', description: 'Read' }],
    });
    expect(rs.status).toBe(201);
    const rsId = rs.body.id as string;
    expect((await eventOf('admin.resource_server_created', rsId)).subject?.name).toBe('Orders');
    const replaced = await as('PUT', `/resource-servers/${rsId}`, {
      identifier: rs.body.identifier,
      name: 'Orders',
      scopes: [
        { name: 'read', description: 'Read' },
        { name: 'write', description: 'Write' },
      ],
      permissionGroups: [{ name: 'editor', scopes: ['read', 'write'] }],
    });
    expect(replaced.status).toBe(200);
    const r = await eventOf('admin.resource_server_replaced', rsId);
    expect(changeOf(r, 'permissionGroups')).toEqual({
      field: 'permissionGroups',
      from: [],
      to: [{ name: 'editor', scopes: ['read', 'write'] }],
    });
    const creds = await as('POST', `/resource-servers/${rsId}/credentials`);
    expect(creds.status).toBe(200);
    secrets.push(creds.body.clientSecret);
    expect((await eventOf('admin.resource_server_credentials_issued', rsId)).changes).toEqual(
      expect.arrayContaining([
        { field: 'clientId', from: null, to: creds.body.clientId },
        { field: 'clientSecret', isSecret: true },
      ]),
    );
    expect((await as('DELETE', `/resource-servers/${rsId}`)).status).toBe(204);
    await eventOf('admin.resource_server_deleted', rsId);

    expect((await as('POST', '/keys/rotate', { force: true })).status).toBe(200);
    const rotated = (await events('&type=admin.keys_rotated'))[0];
    expect(rotated.subject).toMatchObject({ kind: 'keys', id: slug });
    expect(rotated.changes.some((c) => c.from === 'next' && c.to === 'active')).toBe(true);
    const retired = (await as('GET', '/keys')).body.find(
      (k: { state: string }) => k.state === 'retired',
    );
    expect((await as('POST', `/keys/${retired.kid}/withdraw`)).status).toBe(200);
    // the key signed the administrator's own token: they sign in again
    admin.token = (await consoleSignIn(t, slug, admin.email, admin.password)).access_token;
    expect((await eventOf('admin.key_withdrawn', retired.kid)).changes).toEqual([
      { field: 'state', from: 'retired', to: expect.any(String) },
    ]);

    const tenant = await t.json(
      'PATCH',
      base(),
      { name: 'Acme renamed', policy: { sessionIdleTtl: '2h' } },
      admin.token,
    );
    expect(tenant.status).toBe(200);
    const settings = await eventOf('admin.tenant_updated', slug);
    expect(changeOf(settings, 'name')).toMatchObject({ to: 'Acme renamed' });
    expect(changeOf(settings, 'policy.sessionIdleTtl')).toMatchObject({ to: '2h' });

    const other = await t.given.user(slug);
    expect(
      (await t.json('PUT', `${base()}/admins`, { subject: other.id }, admin.token)).status,
    ).toBe(204);
    expect((await eventOf('admin.tenant_admin_added', other.id)).changes).toEqual([
      { field: 'administrator', from: false, to: true },
    ]);
    expect((await t.json('DELETE', `${base()}/admins/${other.id}`, {}, admin.token)).status).toBe(
      204,
    );
    expect((await eventOf('admin.tenant_admin_removed', other.id)).subject).toMatchObject({
      kind: 'user',
      name: other.email,
    });

    const second = await t.given.tenantAdmin(slug);
    const sid = claims(second.tokens.access_token).sid as string;
    expect((await as('DELETE', `/sessions/${sid}`, { reason: 'stolen' })).status).toBe(204);
    const revoked = await eventOf('admin.session_revoked', sid);
    expect(revoked.subject).toEqual({ kind: 'session', id: sid, name: second.email });
    expect(revoked.detail.reason).toBe('stolen');
  });

  it('records tenants created and deleted by a system administrator, in the system log', async () => {
    const token = await t.adminToken();
    const { slug: doomed } = await t.given.tenant();
    const created = (
      await t.get(
        `/admin/api/tenants/system/audit?type=admin.tenant_created&subject=${doomed}`,
        token,
      )
    ).body as Event[];
    expect(created[0]?.actor).toMatchObject({ kind: 'application', id: t.automation().clientId });
    expect(created[0]?.subject).toMatchObject({ kind: 'tenant', id: doomed });
    expect((await t.json('DELETE', `/admin/api/tenants/${doomed}`, undefined, token)).status).toBe(
      204,
    );
    const deleted = (
      await t.get(
        `/admin/api/tenants/system/audit?type=admin.tenant_deleted&subject=${doomed}`,
        token,
      )
    ).body as Event[];
    expect(deleted).toHaveLength(1);
    expect(deleted[0].subject).toMatchObject({ kind: 'tenant', id: doomed });
  });

  it('filters by actor, subject, type and time', async () => {
    const mine = await events(`&actor=${admin.id}`);
    expect(mine.length).toBeGreaterThan(5);
    expect(mine.every((e) => e.actor?.id === admin.id)).toBe(true);
    expect(await events(`&actor=${unique('nobody')}`)).toEqual([]);
    const renames = await events('&type=admin.application_updated');
    expect(renames.length).toBeGreaterThan(0);
    expect(renames.every((e) => e.type === 'admin.application_updated')).toBe(true);
    const all = await events();
    const oldest = all[all.length - 1];
    const newest = all[0];
    const fromNewest = await events(`&from=${encodeURIComponent(newest.createdAt)}`);
    expect(fromNewest.map((e) => e.id)).toContain(newest.id);
    expect(fromNewest.map((e) => e.id)).not.toContain(oldest.id);
    const toOldest = await events(`&to=${encodeURIComponent(oldest.createdAt)}`);
    expect(toOldest.map((e) => e.id)).toContain(oldest.id);
    expect(toOldest.map((e) => e.id)).not.toContain(newest.id);
    // a user is a subject of their security events too (their sign-in)
    const signIns = await events(`&subject=${admin.id}&type=sign_in_succeeded`);
    expect(signIns[0]?.subject).toEqual({ kind: 'user', id: admin.id, name: admin.email });
  });

  it('exports the filtered view as JSON Lines and as CSV, with the changed fields', async () => {
    const app = await t.given.app(slug, { name: '=HYPERLINK("http://evil")' });
    secrets.push(app.secret);
    expect((await as('PATCH', `/applications/${app.clientId}`, { name: 'Ledger' })).status).toBe(
      200,
    );
    const filter = `type=admin.application_updated&subject=${app.clientId}`;
    const jsonl = await download(
      `${t.url}${base()}/audit/export?format=jsonl&${filter}`,
      admin.token,
    );
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toMatch(/^application\/jsonl/);
    expect(jsonl.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.jsonl"$/);
    const lines = jsonl.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Event);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      type: 'admin.application_updated',
      actor: { id: admin.id, name: admin.email },
      subject: { kind: 'application', id: app.clientId, name: 'Ledger' },
      changes: [{ field: 'name', from: '=HYPERLINK("http://evil")', to: 'Ledger' }],
    });

    const csv = await download(`${t.url}${base()}/audit/export?format=csv&${filter}`, admin.token);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.csv"$/);
    const [header, ...rows] = parseCsv(csv.text);
    expect(rows).toHaveLength(1);
    const row = Object.fromEntries(header.map((h, i) => [h, rows[0][i]]));
    expect(row).toMatchObject({
      type: 'admin.application_updated',
      actor_id: admin.id,
      actor: admin.email,
      subject_id: app.clientId,
      subject: 'Ledger',
      id: lines[0].id,
    });
    expect(JSON.parse(row.changes)).toEqual(lines[0].changes);

    // a cell a spreadsheet would run as a formula starts with a quote mark
    const evil = await as('POST', '/applications', {
      name: '=HYPERLINK("http://evil")',
      type: 'confidential',
      grantTypes: ['client_credentials'],
    });
    secrets.push(evil.body.clientSecret);
    const evilId = evil.body.application.clientId as string;
    expect((await as('DELETE', `/applications/${evilId}`)).status).toBe(204);
    const gone = await download(
      `${t.url}${base()}/audit/export?format=csv&type=admin.application_deleted&subject=${evilId}`,
      admin.token,
    );
    const [h2, r2] = parseCsv(gone.text);
    expect(Object.fromEntries(h2.map((h, i) => [h, r2[i]])).subject).toBe(
      `'=HYPERLINK("http://evil")`,
    );

    const bad = await download(`${t.url}${base()}/audit/export?format=xml`, admin.token);
    expect(bad.status).toBe(400);
  });

  it("does not show or export one tenant's events to another tenant's administrator", async () => {
    const { slug: other } = await t.given.tenant();
    const stranger = await t.given.tenantAdmin(other);
    const token = stranger.tokens.access_token;
    expect((await t.get(`${base()}/audit`, token)).status).toBe(404);
    expect((await download(`${t.url}${base()}/audit/export?format=csv`, token)).status).toBe(404);
    expect((await download(`${t.url}${base()}/audit/export?format=jsonl`, token)).status).toBe(404);
    const own = await download(
      `${t.url}/admin/api/tenants/${other}/audit/export?format=jsonl`,
      token,
    );
    expect(own.status).toBe(200);
    expect(own.text).not.toContain(admin.id);
    expect(own.text).not.toContain(slug);
    const list = await t.get(`/admin/api/tenants/${other}/audit?actor=${admin.id}`, token);
    expect(list.body).toEqual([]);
  });

  it('never records a secret, a password, a secret hash or a token in any audit row', async () => {
    const rows = await t.sql<{ row: string }>(
      'SELECT to_jsonb(e)::text AS row FROM audit_events e',
    );
    const hashes = await t.sql<{ h: string }>(
      `SELECT encode(secret_hash, 'hex') AS h FROM applications WHERE secret_hash IS NOT NULL
       UNION ALL SELECT password_hash FROM users`,
    );
    const all = rows.map((r) => r.row).join('\n');
    expect(rows.length).toBeGreaterThan(20);
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const s of secrets)
      expect({ secret: s, found: all.includes(s) }).toEqual({
        secret: s,
        found: false,
      });
    for (const { h } of hashes) expect(all.includes(h)).toBe(false);
    expect(all).not.toContain(admin.token);
    expect(all).not.toMatch(/"(client_?secret|password)":\s*"/i);
  });

  it('exports every event of a long filtered view once, across batches and equal times', async () => {
    const [{ id: tenantId }] = await t.sql<{ id: string }>(
      'SELECT id FROM tenants WHERE slug = $1',
      [slug],
    );
    // 1 203 events in three instants: batches end inside runs of equal times
    await t.sql(
      `INSERT INTO audit_events (id, tenant_id, type, detail, created_at)
       SELECT gen_random_uuid(), $1, 'test_bulk', '{}'::jsonb,
              now() - (i % 3) * interval '1 second'
       FROM generate_series(1, 1203) AS i`,
      [tenantId],
    );
    const file = await download(
      `${t.url}${base()}/audit/export?format=jsonl&type=test_bulk`,
      admin.token,
    );
    const ids = file.text
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as Event).id);
    expect(ids).toHaveLength(1203);
    expect(new Set(ids).size).toBe(1203);
  });
});
