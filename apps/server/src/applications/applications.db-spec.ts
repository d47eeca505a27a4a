import { createApplicationSchema } from '@tessera/contracts';
import { useTestServices } from '../../test/support/services';
import { ApplicationsService } from './applications.service';

describe('applications on the database', () => {
  const t = useTestServices();
  const apps = () => t.get(ApplicationsService);

  it('stores a confidential client secret only as an HMAC, and authenticates with the secret', async () => {
    const tenant = await t.given.tenant();
    const { application, clientSecret } = await apps().create(
      tenant,
      createApplicationSchema.parse({
        name: 'Billing',
        type: 'confidential',
        redirectUris: ['https://billing.example/cb'],
        grantTypes: ['authorization_code'],
      }),
    );
    expect(clientSecret).toEqual(expect.any(String));
    const [row] = await t.sql<{ secret_hash: Buffer }>(
      'SELECT secret_hash FROM applications WHERE id = $1',
      [application.id],
    );
    expect(row.secret_hash.toString('utf8')).not.toContain(clientSecret!);
    expect(row.secret_hash.toString('base64url')).not.toContain(clientSecret!);
    expect((await apps().authenticate(tenant.id, application.clientId, clientSecret!))?.id).toBe(
      application.id,
    );
    expect(await apps().authenticate(tenant.id, application.clientId, `${clientSecret}x`)).toBe(
      undefined,
    );
  });

  it('revokes the families of every sign-in when its tokens are revoked, and cuts off its own tokens', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    const ended = await apps().revokeTokens(tenant, s.app.clientId);
    expect(ended).toMatchObject({ sessions: 1, families: 1 });
    const [family] = await t.sql<{ revocation_reason: string | null }>(
      'SELECT revocation_reason FROM refresh_token_families WHERE id = $1',
      [s.family.familyId],
    );
    expect(family.revocation_reason).toBe('tokens_revoked');
    const cuts = await t.sql(
      `SELECT 1 FROM revocation_events WHERE tenant_id = $1 AND type = 'user' AND sub = $2`,
      [tenant.id, s.app.clientId],
    );
    expect(cuts).toHaveLength(1);
    // the application stays, with tokens stamped after the cut
    const [app] = await t.sql<{ tokens_issued_after: Date | null }>(
      'SELECT tokens_issued_after FROM applications WHERE id = $1',
      [s.app.id],
    );
    expect(app.tokens_issued_after).not.toBeNull();
  });

  it('deletes an application only after ending its sign-ins, in the same transaction', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    await apps().remove(tenant, s.app.clientId);
    expect(await t.sql('SELECT 1 FROM applications WHERE id = $1', [s.app.id])).toEqual([]);
    // the only application of the session: the session ended whole, and the feed says so
    const [session] = await t.sql<{ revocation_reason: string | null }>(
      'SELECT revocation_reason FROM sessions WHERE id = $1',
      [s.sessionId],
    );
    expect(session.revocation_reason).toBe('application_deleted');
    const events = await t.sql(
      `SELECT 1 FROM revocation_events WHERE tenant_id = $1 AND type = 'session' AND sid = $2`,
      [tenant.id, s.sessionId],
    );
    expect(events).toHaveLength(1);
    // nothing of it is left to refresh with
    expect(
      await t.sql('SELECT 1 FROM refresh_token_families WHERE id = $1 AND revoked_at IS NULL', [
        s.family.familyId,
      ]),
    ).toEqual([]);
  });
});
