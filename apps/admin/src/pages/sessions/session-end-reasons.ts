import type { SessionEndReason } from '@tessera/contracts';
import { humanSeconds } from '../../components/format';

/** How a session ended, in the administrator's words: a label for lists, a sentence for details. */
export const END_REASONS: Record<SessionEndReason, { label: string; explained: string }> = {
  logout: { label: 'Signed out', explained: 'The user signed out.' },
  admin: {
    label: 'Revoked by an administrator',
    explained: 'An administrator revoked this session.',
  },
  sign_out_everywhere: {
    label: 'Signed out everywhere by an administrator',
    explained: 'An administrator signed the user out of every session.',
  },
  reuse_detected: {
    label: 'Refresh token reuse detected',
    explained:
      'A refresh token that had already been used came back (a sign of theft), and the policy ends the session.',
  },
  user_disabled: {
    label: 'User disabled',
    explained: 'The user was disabled, which ends every session of theirs.',
  },
  expired: {
    label: 'Expired',
    explained: 'It reached its idle or absolute lifetime.',
  },
  code_reuse: {
    label: 'Authorization code reused',
    explained: 'The authorization code it came from was presented again.',
  },
  revoked: { label: 'Revoked', explained: 'It was revoked.' },
  application_deleted: {
    label: 'Application deleted',
    explained: 'The only application signed in to it was deleted.',
  },
  application_disabled: {
    label: 'Application disabled',
    explained: 'The only application signed in to it was disabled.',
  },
  tokens_revoked: {
    label: 'Application’s tokens revoked',
    explained: 'An administrator revoked every token of the only application signed in to it.',
  },
  resource_server_deleted: {
    label: 'Resource server deleted',
    explained: 'A resource server it was granted was deleted.',
  },
  user_deleted: { label: 'User deleted', explained: 'The user was deleted.' },
  tenant_deleted: { label: 'Tenant deleted', explained: 'The tenant was deleted.' },
};

export const endReason = (reason: string | null | undefined) =>
  END_REASONS[(reason ?? 'revoked') as SessionEndReason] ?? {
    label: reason ?? 'Revoked',
    explained: `It ended (${reason ?? 'revoked'}).`,
  };

/** How long ended sessions stay listed (the server's retention window), in a sentence. */
export function keptFor(days: number): string {
  return `Ended sessions are kept for ${humanSeconds(Math.round(days * 86_400))} after they end, then deleted; the audit log keeps its own record.`;
}
