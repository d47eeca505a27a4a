import { useApiMutation, useApiQuery, useApiQueryClient } from '../../api/hooks';
import type { Application, EndedSignIns } from '../../api/types';
import { counted } from '../../components/format';
import { ConfirmDialog } from '../../components/ConfirmDialog';

/**
 * Revokes every token of an application (a leaked client secret is the common case), after saying
 * how many sessions' sign-ins end and what follows from it.
 */
export function RevokeTokensDialog(p: {
  tenant: string;
  app: Application;
  isOpen: boolean;
  onClose: () => void;
  onRevoked: (ended: EndedSignIns) => void;
}) {
  const { invalidateEndpoint } = useApiQueryClient();
  // the live sessions it is signed in to, as Live sessions lists them (up to 200)
  const sessions = useApiQuery(
    'listSessions',
    { path: { tenant: p.tenant }, query: { application: p.app.clientId, limit: '200' } },
    { enabled: p.isOpen, refetchInterval: 2000 },
  );
  const revoke = useApiMutation('revokeApplicationTokens', {
    onSuccess: async (ended) => {
      await invalidateEndpoint('listSessions', { path: { tenant: p.tenant } });
      p.onRevoked(ended);
    },
  });
  const count = sessions.data
    ? `${sessions.data.nextCursor ? 'more than ' : ''}${counted(sessions.data.items.length, 'session’s sign-in', 'sessions’ sign-ins')}`
    : 'every session’s sign-in';
  return (
    <ConfirmDialog
      isOpen={p.isOpen}
      onOpenChange={(open) => {
        if (!open) {
          revoke.reset();
          p.onClose();
        }
      }}
      title={`Revoke every token of ${p.app.name}?`}
      confirmLabel="Revoke every token"
      onConfirm={() => revoke.mutate({ path: { tenant: p.tenant, clientId: p.app.clientId } })}
      isPending={revoke.isPending}
      error={revoke.error?.message}
    >
      <p>
        Ends {count} to {p.app.name}: their refresh tokens stop working at once, sessions it alone
        was signed in to end
        {p.app.backchannelLogoutUri ? ', and it is told through its back-channel logout URI' : ''}.
        Its access tokens, and the tokens it got with its client secret, are refused by
        introspection at once, by APIs following the revocation feed within about a second, by
        others when they expire.
      </p>
      <p>
        The application keeps working: users sign in again and it can get new tokens. If its secret
        leaked, regenerate it too.
      </p>
    </ConfirmDialog>
  );
}
