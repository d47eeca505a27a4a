import type { SessionRow } from './sessions.repository';

export interface SessionView {
  id: string;
  userId: string;
  applications: Array<{ clientId: string; firstSeenAt: string; lastSeenAt: string }>;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  authTime: string;
  idleExpiresAt: string;
  absoluteExpiresAt: string;
}

export interface SessionDetailView extends SessionView {
  revokedAt: string | null;
  revocationReason: string | null;
  families: Array<{
    id: string;
    clientId: string;
    createdAt: string;
    absoluteExpiresAt: string;
    revokedAt: string | null;
    revocationReason: string | null;
    scopes: string[];
    resources: Array<{ identifier: string; scopes: string[] }>;
    tokens: Array<{
      generation: number;
      issuedAt: string;
      usedAt: string | null;
      idleExpiresAt: string;
      graceReplays: number;
    }>;
  }>;
}

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
