import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { call } from '../../api/client';
import { useApiQuery, useApiQueryClient } from '../../api/hooks';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorState } from '../../components/ErrorState';
import { dateTime } from '../../components/format';
import { Loading } from '../../components/Loading';
import { Button } from '../../components/ui';
import { keptFor } from '../sessions/session-end-reasons';
import { SessionHistoryTable } from '../sessions/SessionHistoryTable';
import { SessionsTable } from '../sessions/SessionsTable';
import { ResetPasswordDialog } from './ResetPasswordDialog';
import { UserPermissions } from './UserPermissions';

type Action = 'disable' | 'enable' | 'signout' | 'promote' | 'demote';

export default function UserPage() {
  const { tenant = '', id = '' } = useParams();
  const user = useApiQuery('getUser', { path: { tenant, id } });
  const sessions = useApiQuery(
    'listSessions',
    { path: { tenant }, query: { user: id, limit: '200' } },
    { refetchInterval: 2000 },
  );
  const { invalidateEndpoint } = useApiQueryClient();
  const [confirm, setConfirm] = useState<Action>();
  const [isResetting, setResetting] = useState(false);
  const history = useApiQuery(
    'listSessionHistory',
    { path: { tenant }, query: { user: id, limit: '50' } },
    { refetchInterval: 5000 },
  );

  const refresh = () =>
    Promise.all([
      invalidateEndpoint('listUsers', { path: { tenant } }),
      invalidateEndpoint('getUser', { path: { tenant, id } }),
      invalidateEndpoint('listSessions', { path: { tenant } }),
      invalidateEndpoint('listSessionHistory', { path: { tenant } }),
    ]);
  const act = useMutation({
    mutationFn: async (what: Action) => {
      if (what === 'signout')
        await call('signOutUser', {
          path: { tenant, id },
          body: { reason: 'signed out everywhere from the admin console' },
        });
      else
        await call('updateUser', {
          path: { tenant, id },
          body:
            what === 'promote' || what === 'demote'
              ? { roles: what === 'promote' ? ['admin'] : [] }
              : { isDisabled: what === 'disable' },
        });
    },
    onSuccess: async () => {
      setConfirm(undefined);
      await refresh();
    },
  });

  if (user.isPending) return <Loading what="the user" />;
  if (user.isError) return <ErrorState error={user.error} retry={() => void user.refetch()} />;
  const u = user.data;
  const count = sessions.data?.items.length ?? 0;
  const isAdmin = u.roles.includes('admin');
  const dialog: Record<Action, { title: string; label: string; body: string }> = {
    disable: {
      title: `Disable ${u.email}?`,
      label: 'Disable user',
      body: `They cannot sign in any more, and their ${count} active session${count === 1 ? '' : 's'} end now.`,
    },
    enable: {
      title: `Enable ${u.email}?`,
      label: 'Enable user',
      body: 'They can sign in again with their password.',
    },
    signout: {
      title: `Sign ${u.email} out everywhere?`,
      label: 'Sign out everywhere',
      body: `Ends their ${count} active session${count === 1 ? '' : 's'} on every device; they have to sign in again.`,
    },
    promote: {
      title: `Make ${u.email} an administrator of ${tenant}?`,
      label: 'Make administrator',
      body: `They can change everything in ${tenant} from this console, signing in at ${tenant} with their own password. They get no access to any other tenant.`,
    },
    demote: {
      title: `Remove ${u.email} as an administrator?`,
      label: 'Remove administrator role',
      body: `They can no longer administer ${tenant}; their console calls are refused from now on. Their sign-ins to applications stay.`,
    },
  };

  return (
    <section aria-labelledby="user-title">
      <p className="crumbs">
        <Link to={`/t/${tenant}/users`}>Users</Link> /
      </p>
      <h1 id="user-title">{u.email}</h1>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{u.isDisabled ? 'Disabled' : 'Active'}</dd>
        <dt>Roles</dt>
        <dd>{u.roles.join(', ') || '—'}</dd>
        <dt>Created</dt>
        <dd>{dateTime(u.createdAt)}</dd>
      </dl>
      <div className="actions">
        <Button onPress={() => setResetting(true)}>Reset password</Button>
        {u.isDisabled ? (
          <Button onPress={() => setConfirm('enable')}>Enable user</Button>
        ) : (
          <Button variant="danger" onPress={() => setConfirm('disable')}>
            Disable user
          </Button>
        )}
        {isAdmin ? (
          <Button onPress={() => setConfirm('demote')}>Remove administrator role</Button>
        ) : (
          <Button onPress={() => setConfirm('promote')}>Make administrator</Button>
        )}
        <Button variant="danger" onPress={() => setConfirm('signout')} isDisabled={count === 0}>
          Sign out everywhere
        </Button>
        {count === 0 ? <span className="hint">No active sessions to end.</span> : null}
      </div>

      <UserPermissions tenant={tenant} user={u} />

      <h2>Live sessions</h2>
      {sessions.isPending ? (
        <Loading what="sessions" />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} retry={() => void sessions.refetch()} />
      ) : (
        <SessionsTable tenant={tenant} sessions={sessions.data.items} empty="No active sessions." />
      )}

      <h2>Ended sessions</h2>
      {history.isPending ? (
        <Loading what="ended sessions" />
      ) : history.isError ? (
        <ErrorState error={history.error} retry={() => void history.refetch()} />
      ) : (
        <>
          <p className="hint">
            {keptFor(history.data.keptDays)}{' '}
            <Link to={`/t/${tenant}/history?user=${encodeURIComponent(u.id)}`}>
              All of {u.email}’s ended sessions in Session history
            </Link>
          </p>
          <SessionHistoryTable
            tenant={tenant}
            sessions={history.data.items}
            hasUserColumn={false}
            empty="None of their sessions has ended in that time."
          />
        </>
      )}

      <ConfirmDialog
        isOpen={!!confirm}
        onOpenChange={(o) => !o && setConfirm(undefined)}
        title={confirm ? dialog[confirm].title : ''}
        confirmLabel={confirm ? dialog[confirm].label : ''}
        onConfirm={() => confirm && act.mutate(confirm)}
        isPending={act.isPending}
        error={act.error?.message}
      >
        {confirm ? dialog[confirm].body : null}
      </ConfirmDialog>
      <ResetPasswordDialog
        tenant={tenant}
        user={u}
        isOpen={isResetting}
        onOpenChange={setResetting}
      />
    </section>
  );
}
