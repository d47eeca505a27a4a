import type { SessionView } from '@tessera/contracts';
import type { SessionRow } from './sessions.repository';

// the shapes the admin API and the console share
export type { SessionDetailView, SessionView } from '@tessera/contracts';

export function sessionView(
  s: SessionRow,
  surfaces: Array<{ clientId: string; firstSeenAt: Date; lastSeenAt: Date }>,
): SessionView {
  return {
    id: s.id,
    userId: s.userId,
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
