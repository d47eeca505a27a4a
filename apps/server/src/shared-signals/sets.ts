import { SESSION_REVOKED, VERIFICATION, type PendingSet } from '../revocation';

/**
 * The SET's `sub_id` (SSF 1.0 §3, RFC 9493): a session as a complex subject (its user and the
 * session's `sid`, opaque), a user or an application (its client id, the `sub` of its own tokens)
 * as `iss_sub`, and a verification event's stream as `opaque`.
 */
export function subjectId(issuer: string, e: PendingSet): Record<string, unknown> {
  if (e.eventType === VERIFICATION) return { format: 'opaque', id: e.subject.stream_id };
  const user = { format: 'iss_sub', iss: issuer, sub: e.subject.sub };
  if (e.eventType === SESSION_REVOKED)
    return { format: 'complex', user, session: { format: 'opaque', id: e.subject.sid } };
  return user;
}

/**
 * A Security Event Token's claims (RFC 8417 §2.2, SSF 1.0 §4): one event, its time the time it was
 * recorded (`iat` and CAEP's `event_timestamp` alike), so a SET sent again carries the same claims.
 */
export function setClaims(issuer: string, audience: string, e: PendingSet) {
  const at = Math.floor(new Date(e.createdAt).getTime() / 1000);
  const event =
    e.eventType === VERIFICATION ? { ...e.detail } : { event_timestamp: at, ...e.detail };
  return {
    iss: issuer,
    aud: audience,
    jti: e.jti,
    iat: at,
    sub_id: subjectId(issuer, e),
    events: { [e.eventType]: event },
  };
}

/** RFC 8417 §2.3: the media type's subtype, as the JWS `typ`. */
export const SET_TYP = 'secevent+jwt';
