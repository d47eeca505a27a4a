import { randomUUID } from 'node:crypto';
import { useTestServices } from '../../test/support/services';
import { RevocationService } from '../revocation';
import { SecretsService } from '../secrets';
import { RefreshFamiliesService } from './refresh-families.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

const CLIENT = { ip: null, userAgent: null };
const all = () => ({}); // a refresh that narrows nothing

describe('sessions and refresh-token families on the database', () => {
  const t = useTestServices();
  const grants = () => t.get(RefreshFamiliesService);

  const tokenRows = (familyId: string) =>
    t.sql<{ id: string; generation: number; parent_id: string | null; used_at: Date | null }>(
      'SELECT id, generation, parent_id, used_at FROM refresh_tokens WHERE family_id = $1 ORDER BY generation',
      [familyId],
    );

  it.each([
    ['in one statement', true],
    ['in the locking transaction', false],
  ])(
    'rotates %s: the presented row is consumed and the new one is its child in the same family',
    async (_how, narrowsNothing) => {
      const tenant = await t.given.tenant();
      const s = await t.given.signedIn(tenant);
      const { family } = await grants().refresh(tenant.id, s.app, {
        refreshToken: s.family.refreshToken,
        policy: s.policy,
        client: CLIENT,
        dpopJkt: null,
        select: all,
        narrowsNothing,
      });
      expect(family.familyId).toBe(s.family.familyId);
      expect(family.refreshToken).not.toBe(s.family.refreshToken);
      const [first, second, ...more] = await tokenRows(s.family.familyId);
      expect(more).toEqual([]);
      expect(first.used_at).not.toBeNull();
      expect(second).toMatchObject({ generation: 1, parent_id: first.id, used_at: null });
    },
  );

  it('rotates a DPoP-bound family in one statement only with a proof of its key (RFC 9449 §5)', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    await t.sql(`UPDATE refresh_token_families SET dpop_jkt = 'key-a' WHERE id = $1`, [
      s.family.familyId,
    ]);
    const rotate = (dpopJkt: string | null) =>
      t.get(SessionsRepository).rotate({
        tenantId: tenant.id,
        tokenHash: t.get(SecretsService).tokenHash(s.family.refreshToken),
        applicationId: s.app.id,
        successorId: randomUUID(),
        successorHash: t.get(SecretsService).tokenHash(randomUUID()),
        idleTtl: 60,
        slideBy: null,
        dpopJkt,
      });
    // another key, or no proof: the statement changes nothing (the transactional path decides)
    expect(await rotate('key-b')).toBeUndefined();
    expect(await rotate(null)).toBeUndefined();
    expect(await tokenRows(s.family.familyId)).toMatchObject([{ used_at: null }]);
    expect(await rotate('key-a')).toMatchObject({ familyId: s.family.familyId });
    expect(await tokenRows(s.family.familyId)).toHaveLength(2);
  });

  it("answers a token dead once a key event names its kid, whatever a key cache still holds; other keys' tokens live", async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    const sessions = t.get(SessionsService);
    const facts = (kid: string) => ({
      jti: randomUUID(),
      sid: s.sessionId,
      clientId: s.app.clientId,
      iat: Math.floor(Date.now() / 1000) - 5,
      familyId: s.family.familyId,
      kid,
      sub: s.user.id,
      aud: ['https://api.example.test'],
    });
    expect(await sessions.isAccessTokenLive(tenant.id, facts('leaked'))).toBe(true);
    // the withdrawal's event alone: the statement must refuse the key's tokens by itself, for an
    // instance whose key cache has not heard of the withdrawal yet
    await t.transaction((em) =>
      t.get(RevocationService).keyWithdrawn(em, tenant.id, { kid: 'leaked' }),
    );
    expect(await sessions.isAccessTokenLive(tenant.id, facts('leaked'))).toBe(false);
    expect(await sessions.isAccessTokenLive(tenant.id, facts('other'))).toBe(true);
    // another tenant's withdrawal of a kid with the same name cuts nothing here
    const other = await t.given.tenant();
    await t.transaction((em) =>
      t.get(RevocationService).keyWithdrawn(em, other.id, { kid: 'other' }),
    );
    expect(await sessions.isAccessTokenLive(tenant.id, facts('other'))).toBe(true);
  });

  it('revokes the family when a used refresh token returns after the grace, and refuses its newest token', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant, {
      policy: { reuseGraceSeconds: 0, onReuse: 'revoke-family' },
    });
    const refresh = (refreshToken: string) =>
      grants().refresh(tenant.id, s.app, {
        refreshToken,
        policy: s.policy,
        client: CLIENT,
        dpopJkt: null,
        select: all,
      });
    const { family: rotated } = await refresh(s.family.refreshToken);
    await expect(refresh(s.family.refreshToken)).rejects.toMatchObject({ code: 'invalid_grant' });

    const [row] = await t.sql<{ revoked_at: Date | null; revocation_reason: string }>(
      'SELECT revoked_at, revocation_reason FROM refresh_token_families WHERE id = $1',
      [s.family.familyId],
    );
    expect(row.revoked_at).not.toBeNull();
    expect(row.revocation_reason).toBe('reuse_detected');
    // the reuse committed: its trace outlives the refusal
    const events = await t.sql('SELECT 1 FROM revocation_events WHERE family_id = $1', [
      s.family.familyId,
    ]);
    expect(events).toHaveLength(1);
    await expect(refresh(rotated.refreshToken!)).rejects.toMatchObject({ code: 'invalid_grant' });
    // the session itself lives on with revoke-family
    expect(await t.get(SessionsService).isLive(tenant.id, s.sessionId)).toBe(true);
  });

  it('refuses a refresh token presented by another client and leaves it unconsumed', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    const other = await t.given.app(tenant);
    await expect(
      grants().refresh(tenant.id, other, {
        refreshToken: s.family.refreshToken,
        policy: s.policy,
        client: CLIENT,
        dpopJkt: null,
        select: all,
      }),
    ).rejects.toMatchObject({ code: 'invalid_grant' });
    const rows = await tokenRows(s.family.familyId);
    expect(rows).toHaveLength(1);
    expect(rows[0].used_at).toBeNull();
  });

  it('slides the idle expiry of a sliding session forward on use, never past its absolute expiry', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant, {
      policy: { sliding: true, sessionIdleTtl: 3600, sessionAbsoluteTtl: 5400 },
    });
    const expiry = async () =>
      (
        await t.sql<{ idle: Date; absolute: Date }>(
          'SELECT idle_expires_at AS idle, absolute_expires_at AS absolute FROM sessions WHERE id = $1',
          [s.sessionId],
        )
      )[0];
    // put the session as if it had been idle for 50 minutes
    await t.sql(
      `UPDATE sessions SET idle_expires_at = now() + interval '10 minutes',
         absolute_expires_at = now() + interval '30 minutes' WHERE id = $1`,
      [s.sessionId],
    );
    const before = await expiry();
    await t.transaction((em) =>
      t.get(SessionsService).use(em, tenant.id, s.sessionId, s.app.id, s.policy),
    );
    const after = await expiry();
    expect(after.idle.getTime()).toBeGreaterThan(before.idle.getTime());
    expect(after.idle.getTime()).toBeLessThanOrEqual(after.absolute.getTime());
    expect(after.absolute).toEqual(before.absolute);
  });

  it('keeps the idle expiry of a session without sliding', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant, { policy: { sliding: false } });
    const idle = async () =>
      (
        await t.sql<{ idle: Date }>('SELECT idle_expires_at AS idle FROM sessions WHERE id = $1', [
          s.sessionId,
        ])
      )[0].idle;
    const before = await idle();
    await t.transaction((em) =>
      t.get(SessionsService).use(em, tenant.id, s.sessionId, s.app.id, s.policy),
    );
    expect(await idle()).toEqual(before);
  });

  it('spends a code at its first redemption: a second one is refused and revokes what the first issued', async () => {
    const tenant = await t.given.tenant();
    const s = await t.given.signedIn(tenant);
    const [code] = await t.sql<{ used_at: Date | null }>(
      'SELECT used_at FROM authorization_codes WHERE family_id = $1',
      [s.family.familyId],
    );
    expect(code.used_at).not.toBeNull();
    await expect(
      grants().redeemCode(tenant.id, s.app, {
        code: s.code,
        redirectUri: s.app.redirectUris[0],
        codeVerifier: undefined,
        policy: s.policy,
        withRefresh: () => true,
        client: CLIENT,
        dpopJkt: null,
        select: (granted) => granted,
      }),
    ).rejects.toMatchObject({ code: 'invalid_grant' });
    const [family] = await t.sql<{ revocation_reason: string | null }>(
      'SELECT revocation_reason FROM refresh_token_families WHERE id = $1',
      [s.family.familyId],
    );
    expect(family.revocation_reason).toBe('code_reuse');
  });
});
