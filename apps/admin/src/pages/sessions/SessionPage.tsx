import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { durationToSeconds, MAX_ACCESS_TOKEN_TTL_SECONDS } from '@tessera/contracts';
import { useApiQuery } from '../../api/hooks';
import { dateTime, dateTimeToSecond, relative, shortUserAgent } from '../../components/format';
import { Empty } from '../../components/Empty';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { Button } from '../../components/ui';
import { FamilyLineage } from './FamilyLineage';
import { RevokeSessionDialog } from './RevokeSessionDialog';
import { endReason } from './session-end-reasons';
import { endedByLabel } from './SessionHistoryTable';

export default function SessionPage() {
  const { tenant = '', id = '' } = useParams();
  const live = { refetchInterval: 2000 };
  const session = useApiQuery('getSession', { path: { tenant, id } }, live);
  const deliveries = useApiQuery(
    'listDeliveries',
    { path: { tenant }, query: { session: id } },
    live,
  );
  const reuse = useApiQuery('listAuditEvents', {
    path: { tenant },
    query: { type: 'refresh_token_reuse', limit: '100' },
  });
  const apps = useApiQuery('listApplications', { path: { tenant } });
  const servers = useApiQuery('listResourceServers', { path: { tenant } });
  const [revoking, setRevoking] = useState(false);

  const lastAccessExpiry = useMemo(() => {
    const s = session.data;
    if (!s || !apps.data) return undefined;
    let latest = 0;
    for (const f of s.families) {
      const app = apps.data.find((a) => a.clientId === f.clientId);
      if (!app) continue;
      // a resource server may set its own (longer or shorter) lifetime for its audience, and no
      // token outlives the cap whatever a setting says
      const ttl = Math.min(
        MAX_ACCESS_TOKEN_TTL_SECONDS,
        Math.max(
          durationToSeconds(app.effectivePolicy.accessTokenTtl),
          ...f.resources.map((r) => {
            const rs = servers.data?.find((x) => x.identifier === r.identifier);
            return rs?.accessTokenTtl ? durationToSeconds(rs.accessTokenTtl) : 0;
          }),
        ),
      );
      const lastIssued = Math.max(
        ...f.tokens.map((t) => Date.parse(t.issuedAt)),
        Date.parse(f.createdAt),
      );
      latest = Math.max(latest, lastIssued + ttl * 1000);
    }
    return latest ? new Date(latest).toISOString() : undefined;
  }, [session.data, apps.data, servers.data]);

  if (session.isPending) return <Loading what="the session" />;
  if (session.isError)
    return <ErrorState error={session.error} retry={() => void session.refetch()} />;
  const s = session.data;
  const email = s.userEmail;
  const ended = s.revokedAt ? endReason(s.revocationReason) : undefined;
  const hasTokensLeft = !!lastAccessExpiry && Date.parse(lastAccessExpiry) > Date.now();
  const incidents = (reuse.data ?? []).filter((e) => e.sessionId === s.id);

  return (
    <section aria-labelledby="session-title">
      <p className="crumbs">
        {s.revokedAt ? (
          <Link to={`/t/${tenant}/history`}>Session history</Link>
        ) : (
          <Link to={`/t/${tenant}/sessions`}>Live sessions</Link>
        )}{' '}
        /
      </p>
      <div className="page-head">
        <h1 id="session-title">Session of {email}</h1>
        {s.revokedAt ? null : (
          <Button variant="danger" onPress={() => setRevoking(true)}>
            Revoke session
          </Button>
        )}
      </div>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          {s.revokedAt && ended ? (
            <>
              Ended <time dateTime={s.revokedAt}>{dateTimeToSecond(s.revokedAt)}</time>:{' '}
              {ended.label}, by{' '}
              {endedByLabel({ endedBy: s.revokedBy, reason: s.revocationReason ?? 'revoked' })}.{' '}
              <span className="hint">{ended.explained}</span>
            </>
          ) : (
            'Active'
          )}
        </dd>
        <dt>Signed in</dt>
        <dd>{dateTime(s.authTime)}</dd>
        <dt>Last seen</dt>
        <dd>{relative(s.lastSeenAt)}</dd>
        <dt>Idle expiry</dt>
        <dd>{dateTime(s.idleExpiresAt)}</dd>
        <dt>Absolute expiry</dt>
        <dd>{dateTime(s.absoluteExpiresAt)}</dd>
        <dt>IP / user agent</dt>
        <dd>
          {s.ip ?? '—'} · <span title={s.userAgent ?? ''}>{shortUserAgent(s.userAgent)}</span>
        </dd>
        <dt>Last access token expires</dt>
        <dd>
          {lastAccessExpiry
            ? `${dateTimeToSecond(lastAccessExpiry)} (${relative(lastAccessExpiry)}) at the latest`
            : '—'}
          <p className="hint" id="access-token-expiry-why">
            {!lastAccessExpiry
              ? 'No access token was issued in this session.'
              : !hasTokensLeft
                ? 'Every access token issued in this session has expired: no API accepts one any more.'
                : s.revokedAt
                  ? `The session has ended, but its access tokens are signed JWTs that carry their own expiry. APIs that follow the revocation feed (or ask the introspection endpoint) refused them within about a second of the end. An API that only checks a token's signature and expiry offline cannot know the session ended: it accepts a token issued before then until ${dateTimeToSecond(lastAccessExpiry)}. Short access-token lifetimes keep this window small.`
                  : `Access tokens are signed JWTs that carry their own expiry. If this session is revoked, APIs that follow the revocation feed (or ask the introspection endpoint) refuse them within about a second; an API that only checks a token's signature and expiry offline keeps accepting them until ${dateTimeToSecond(lastAccessExpiry)}.`}
          </p>
        </dd>
      </dl>

      <h2>Applications (surfaces)</h2>
      {s.applications.length === 0 ? (
        <Empty>No application has used this session yet.</Empty>
      ) : (
        <ul>
          {s.applications.map((a) => (
            <li key={a.clientId}>
              <code>{a.clientId}</code>: first {dateTime(a.firstSeenAt)}, last{' '}
              {relative(a.lastSeenAt)}
            </li>
          ))}
        </ul>
      )}

      <h2>Refresh token families</h2>
      {s.families.length === 0 ? (
        <Empty>No refresh tokens were issued in this session.</Empty>
      ) : (
        s.families.map((f) => (
          <FamilyLineage
            key={f.id}
            family={f}
            session={s}
            incidents={incidents.filter((e) => e.detail.familyId === f.id)}
          />
        ))
      )}

      <h2>Back-channel logout deliveries</h2>
      {deliveries.isPending ? (
        <Loading what="deliveries" />
      ) : deliveries.isError ? (
        <ErrorState error={deliveries.error} retry={() => void deliveries.refetch()} />
      ) : deliveries.data.length === 0 ? (
        <Empty>
          None: deliveries are made when the session ends, to applications with a back-channel
          logout URI.
        </Empty>
      ) : (
        <table className="plain">
          <caption className="sr-only">Back-channel logout deliveries</caption>
          <thead>
            <tr>
              <th scope="col">Application</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Next retry / delivered</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.data.map((d) => (
              <tr key={d.id}>
                <th scope="row">{d.clientId}</th>
                <td>{d.status}</td>
                <td>{d.attempts}</td>
                <td>
                  {d.deliveredAt
                    ? dateTime(d.deliveredAt)
                    : d.status === 'pending'
                      ? relative(d.nextAttemptAt)
                      : '—'}
                </td>
                <td>{d.lastError ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RevokeSessionDialog
        tenant={tenant}
        target={revoking ? { session: s, userLabel: email, everywhere: false } : undefined}
        onClose={() => setRevoking(false)}
      />
    </section>
  );
}
