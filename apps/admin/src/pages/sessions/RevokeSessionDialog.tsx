import { useMutation } from '@tanstack/react-query';
import { call } from '../../api/client';
import { useApiQueryClient } from '../../api/hooks';
import type { Session } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';

const list = (xs: string[]) =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

/** Revokes one session, or every session of its user, after saying what will happen. */
export function RevokeSessionDialog(p: {
  tenant: string;
  target?: { session: Session; userLabel: string; everywhere: boolean };
  onClose: () => void;
}) {
  const { invalidateEndpoint } = useApiQueryClient();
  const t = p.target;
  const revoke = useMutation({
    mutationFn: async () => {
      if (!t) return;
      if (t.everywhere)
        await call('signOutUser', {
          path: { tenant: p.tenant, id: t.session.userId },
          body: { reason: 'signed out everywhere from the admin console' },
        });
      else
        await call('revokeSession', {
          path: { tenant: p.tenant, id: t.session.id },
          body: { reason: 'revoked from the admin console' },
        });
    },
    onSuccess: async () => {
      await Promise.all([
        invalidateEndpoint('listSessions', { path: { tenant: p.tenant } }),
        invalidateEndpoint('listSessionHistory', { path: { tenant: p.tenant } }),
        invalidateEndpoint('getSession', { path: { tenant: p.tenant } }),
      ]);
      p.onClose();
    },
  });
  const apps = t?.session.applications.map((a) => a.clientId) ?? [];
  return (
    <ConfirmDialog
      isOpen={!!t}
      onOpenChange={(open) => {
        if (!open) {
          revoke.reset();
          p.onClose();
        }
      }}
      title={t?.everywhere ? `Sign ${t.userLabel} out everywhere?` : 'Revoke this session?'}
      confirmLabel={t?.everywhere ? 'Sign out everywhere' : 'Revoke session'}
      onConfirm={() => revoke.mutate()}
      isPending={revoke.isPending}
      error={revoke.error?.message}
    >
      {t?.everywhere ? (
        <p>
          Ends every session of {t.userLabel} in this tenant, on every device. Their refresh tokens
          stop working at once; APIs following the revocation feed refuse their access tokens within
          about a second, others when those tokens expire. They have to sign in again.
        </p>
      ) : t ? (
        <p>
          Signs {t.userLabel} out of {apps.length ? list(apps) : 'this session'}
          {t.session.ip ? ` on ${t.session.ip}` : ''}. Its refresh tokens stop working at once,
          applications with a back-channel logout URI are told, and APIs following the revocation
          feed refuse its access tokens within about a second. Their other sessions stay.
        </p>
      ) : null}
    </ConfirmDialog>
  );
}
