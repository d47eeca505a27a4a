import type { EndedByView, EndedSessionView, SessionView } from '@tessera/contracts';
import type { SessionViewRow } from './sessions.repository';

// the shapes the admin API and the console share
export type { EndedSessionView, SessionDetailView, SessionView } from '@tessera/contracts';

type Surface = { clientId: string; firstSeenAt: Date; lastSeenAt: Date };

export function sessionView(s: SessionViewRow, surfaces: Surface[]): SessionView {
  return {
    id: s.id,
    userId: s.userId,
    userEmail: s.userEmail,
    applications: surfaces.map((x) => ({
      clientId: x.clientId,
      firstSeenAt: x.firstSeenAt.toISOString(),
      lastSeenAt: x.lastSeenAt.toISOString(),
    })),
    ip: s.ip,
    userAgent: s.userAgent,
    createdAt: s.createdAt.toISOString(),
    lastSeenAt: s.lastSeenAt.toISOString(),
    authTime: s.authTime.toISOString(),
    idleExpiresAt: s.idleExpiresAt.toISOString(),
    absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
  };
}

/** Who ended the session, when a person did. */
export function endedByView(s: SessionViewRow): EndedByView | null {
  return s.revokedBy ? { subject: s.revokedBy, email: s.revokedByEmail } : null;
}

/** An ended session (its row has `revokedAt`): how, when and by whom it ended. */
export function endedSessionView(s: SessionViewRow, surfaces: Surface[]): EndedSessionView {
  return {
    ...sessionView(s, surfaces),
    endedAt: (s.revokedAt ?? s.absoluteExpiresAt).toISOString(),
    reason: s.revocationReason ?? 'revoked',
    endedBy: endedByView(s),
  };
}
