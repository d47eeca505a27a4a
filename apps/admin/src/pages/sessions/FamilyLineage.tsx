import type { AuditEvent, RefreshFamily, SessionDetail } from '../../api/types';
import { dateTimeToSecond, shortUserAgent } from '../../components/format';
import { endReason } from './session-end-reasons';

/** One refresh-token family of a session: its lineage of rotations and any reuse incidents. */
export function FamilyLineage(p: {
  family: RefreshFamily;
  session: SessionDetail;
  incidents: AuditEvent[];
}) {
  const f = p.family;
  return (
    <article className="family" aria-label={`Refresh token family for ${f.clientId}`}>
      <h3>
        <code>{f.clientId}</code>{' '}
        {f.revokedAt ? (
          <span className="badge danger">revoked: {endReason(f.revocationReason).label}</span>
        ) : (
          <span className="badge">live</span>
        )}
      </h3>
      <p className="hint">
        Issued {dateTimeToSecond(f.createdAt)} · ends at the latest{' '}
        {dateTimeToSecond(f.absoluteExpiresAt)} · scopes{' '}
        {[...f.scopes, ...f.resources.flatMap((r) => r.scopes)].join(' ') || '—'}
      </p>
      <ol className="lineage">
        {f.tokens.map((t) => (
          <li key={t.generation}>
            <strong>{t.generation === 0 ? 'Issued' : `Rotation ${t.generation}`}</strong>{' '}
            {dateTimeToSecond(t.issuedAt)}
            {t.usedAt ? ` · used ${dateTimeToSecond(t.usedAt)}` : ' · current, not used yet'}
            {t.graceReplays
              ? ` · ${t.graceReplays} grace replay${t.graceReplays === 1 ? '' : 's'}`
              : ''}
            {!t.usedAt ? ` · idle expiry ${dateTimeToSecond(t.idleExpiresAt)}` : ''}
          </li>
        ))}
      </ol>
      {p.incidents.map((e) => (
        <div key={e.id} className="incident" role="note">
          <strong>Reuse detected {dateTimeToSecond(e.createdAt)}</strong> (generation{' '}
          {String(e.detail.generation)}, action {String(e.detail.action)}). Replayed from{' '}
          {e.ip ?? '—'} · {shortUserAgent(e.userAgent)}; the session&apos;s own client:{' '}
          {p.session.ip ?? '—'} · {shortUserAgent(p.session.userAgent)}.
        </div>
      ))}
    </article>
  );
}
