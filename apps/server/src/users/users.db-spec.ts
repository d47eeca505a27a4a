import { useTestServices } from '../../test/support/services';
import { UsersService } from './users.service';

describe('users on the database', () => {
  const t = useTestServices();
  const users = () => t.get(UsersService);

  const session = (id: string) =>
    t
      .sql<{ revoked_at: Date | null; revocation_reason: string | null }>(
        'SELECT revoked_at, revocation_reason FROM sessions WHERE id = $1',
        [id],
      )
      .then((rows) => rows[0]);

  it('stores a password only as an argon2 hash, and the e-mail address in lower case', async () => {
    const tenant = await t.given.tenant();
    const user = await t.given.user(tenant, {
      email: 'Ada.Lovelace@Example.test',
      password: 'correct horse battery',
    });
    const [row] = await t.sql<{ email: string; password_hash: string }>(
      'SELECT email, password_hash FROM users WHERE id = $1',
      [user.id],
    );
    expect(row.email).toBe('ada.lovelace@example.test');
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain('correct horse battery');
  });

  it('refuses a second user with the same e-mail address in the tenant, whatever its case', async () => {
    const tenant = await t.given.tenant();
    const user = await t.given.user(tenant);
    await expect(t.given.user(tenant, { email: user.email.toUpperCase() })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('ends every session of a user who is disabled, in the same transaction', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    await users().updateOne(tenant.id, s.user.id, { isDisabled: true });
    expect(await session(s.sessionId)).toMatchObject({ revocation_reason: 'user_disabled' });
    const [family] = await t.sql<{ revoked_at: Date | null }>(
      'SELECT revoked_at FROM refresh_token_families WHERE id = $1',
      [s.family.familyId],
    );
    expect(family.revoked_at).not.toBeNull();
  });

  it('signs a user out everywhere and says how many sessions ended', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    expect(await users().signOutEverywhere(tenant.id, s.user.id)).toBe(1);
    expect(await session(s.sessionId)).toMatchObject({ revocation_reason: 'sign_out_everywhere' });
    expect(await users().signOutEverywhere(tenant.id, s.user.id)).toBe(0);
  });

  it('deletes a user after ending their sessions, and the feed keeps the ending', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    await users().removeOne(tenant.id, s.user.id, async () => {});
    expect(await t.sql('SELECT 1 FROM users WHERE id = $1', [s.user.id])).toEqual([]);
    const events = await t.sql(
      `SELECT 1 FROM revocation_events WHERE tenant_id = $1 AND type = 'session' AND sid = $2`,
      [tenant.id, s.sessionId],
    );
    expect(events).toHaveLength(1);
  });
});
