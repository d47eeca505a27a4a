import { useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { updateUserSchema } from '@tessera/contracts';
import { z } from 'zod';
import { call } from '../../api/client';
import { useApiQuery, useApiQueryClient } from '../../api/hooks';
import type { ResourceServer, User, UserPermission } from '../../api/types';
import { applyApiErrors } from '../../components/form-errors';
import { FormField } from '../../components/FormField';
import { dateTime } from '../../components/format';
import {
  Button,
  CheckGroup,
  ConfirmDialog,
  Empty,
  ErrorState,
  FormError,
  Loading,
  ModalDialog,
} from '../../components/ui';
import { SessionsTable } from '../sessions/SessionsTable';

type Action = 'disable' | 'enable' | 'signout' | 'promote' | 'demote';

const resetSchema = z.object({ password: updateUserSchema.shape.password.unwrap() });

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
  const users = useMemo(() => new Map(user.data ? [[user.data.id, user.data]] : []), [user.data]);

  const refresh = () =>
    Promise.all([
      invalidateEndpoint('listUsers', { path: { tenant } }),
      invalidateEndpoint('getUser', { path: { tenant, id } }),
      invalidateEndpoint('listSessions', { path: { tenant } }),
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

      <Permissions tenant={tenant} user={u} />

      <h2>Sessions</h2>
      {sessions.isPending ? (
        <Loading what="sessions" />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} retry={() => void sessions.refetch()} />
      ) : (
        <SessionsTable
          tenant={tenant}
          sessions={sessions.data.items}
          users={users}
          empty="No active sessions."
        />
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

function ResetPasswordDialog(p: {
  tenant: string;
  user: User;
  isOpen: boolean;
  onOpenChange: (o: boolean) => void;
}) {
  const [done, setDone] = useState(false);
  const { control, handleSubmit, setError, reset } = useForm<{ password: string }>({
    resolver: zodResolver(resetSchema),
    defaultValues: { password: '' },
  });
  const [formError, setFormError] = useState<string>();
  const save = useMutation({
    mutationFn: (f: { password: string }) =>
      call('updateUser', {
        path: { tenant: p.tenant, id: p.user.id },
        body: { password: f.password },
      }),
    onSuccess: () => {
      reset();
      setDone(true);
    },
    onError: (err) => setFormError(applyApiErrors(err, setError)),
  });
  return (
    <ModalDialog
      isOpen={p.isOpen}
      onOpenChange={(o) => {
        if (!o) setDone(false);
        p.onOpenChange(o);
      }}
      title={`Reset the password of ${p.user.email}`}
    >
      {done ? (
        <>
          <p role="status">The new password works from now on; the old one no longer does.</p>
          <div className="actions">
            <Button slot="close" variant="primary">
              Close
            </Button>
          </div>
        </>
      ) : (
        <form
          className="form"
          noValidate
          onSubmit={(e) => void handleSubmit((f) => save.mutate(f))(e)}
        >
          <FormError message={formError} />
          <FormField
            control={control}
            name="password"
            label="New password"
            type="password"
            autoComplete="new-password"
            isRequired
            description="At least 8 characters. Their sessions stay; sign them out too if the old one leaked."
          />
          <div className="actions">
            <Button slot="close">Cancel</Button>
            <Button type="submit" variant="primary" isDisabled={save.isPending}>
              Set password
            </Button>
          </div>
        </form>
      )}
    </ModalDialog>
  );
}

/** What the user holds per resource server: permission groups (and single scopes). */
function Permissions({ tenant, user }: { tenant: string; user: User }) {
  const servers = useApiQuery('listResourceServers', { path: { tenant } });
  const held = useApiQuery('getUserPermissions', { path: { tenant, id: user.id } });
  if (servers.isPending || held.isPending) return <Loading what="permissions" />;
  if (servers.isError || held.isError)
    return (
      <ErrorState
        error={servers.error ?? held.error}
        retry={() => void Promise.all([servers.refetch(), held.refetch()])}
      />
    );
  // the draft starts from what the server held on load; saving makes the two equal again
  return <PermissionsEditor tenant={tenant} user={user} servers={servers.data} held={held.data} />;
}

function PermissionsEditor(p: {
  tenant: string;
  user: User;
  servers: ResourceServer[];
  held: UserPermission[];
}) {
  const { invalidateEndpoint } = useApiQueryClient();
  // built-in APIs (admin, account) follow the user's role, not this editor
  const editable = p.servers.filter((rs) => !rs.isSystem);
  const [draft, setDraft] = useState(() =>
    Object.fromEntries(
      editable.map((rs) => {
        const h = p.held.find((x) => x.resourceServer === rs.identifier);
        return [rs.identifier, { groups: h?.permissionGroups ?? [], scopes: h?.scopes ?? [] }];
      }),
    ),
  );
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () =>
      call('setUserPermissions', {
        path: { tenant: p.tenant, id: p.user.id },
        body: Object.entries(draft)
          .filter(([, v]) => v.groups.length || v.scopes.length)
          .map(([resourceServer, v]) => ({
            resourceServer,
            permissionGroups: v.groups,
            scopes: v.scopes,
          })),
      }),
    onSuccess: async () => {
      setSaved(true);
      await invalidateEndpoint('getUserPermissions', {
        path: { tenant: p.tenant, id: p.user.id },
      });
    },
  });
  const toggle = (rs: string, kind: 'groups' | 'scopes', v: string, on: boolean) => {
    setSaved(false);
    setDraft((d) => ({
      ...d,
      [rs]: { ...d[rs], [kind]: on ? [...d[rs][kind], v] : d[rs][kind].filter((x) => x !== v) },
    }));
  };
  const servers = editable.filter((rs) => rs.permissionGroups.length || rs.scopes.length);
  return (
    <section aria-labelledby="perm-title">
      <h2 id="perm-title">Permissions</h2>
      <p className="hint">Tokens carry what the user holds here and the application may request.</p>
      {servers.length === 0 ? (
        <Empty>No resource server defines scopes or permission groups yet.</Empty>
      ) : null}
      {servers.map((rs) => (
        <div key={rs.id} className="grant" role="group" aria-label={`Permissions on ${rs.name}`}>
          <strong>{rs.name}</strong> <code>{rs.identifier}</code>
          <CheckGroup
            label="Permission groups"
            name={`Permission groups on ${rs.name}`}
            options={rs.permissionGroups.map((g) => ({
              value: g.name,
              label: `${g.name} (${g.scopes.join(', ')})`,
            }))}
            selected={draft[rs.identifier].groups}
            onToggle={(v, on) => toggle(rs.identifier, 'groups', v, on)}
          />
          <CheckGroup
            label="Single scopes"
            name={`Single scopes on ${rs.name}`}
            options={rs.scopes.map((s) => ({ value: s.name, label: s.name }))}
            selected={draft[rs.identifier].scopes}
            onToggle={(v, on) => toggle(rs.identifier, 'scopes', v, on)}
          />
        </div>
      ))}
      {servers.length ? (
        <div className="actions">
          <Button variant="primary" onPress={() => save.mutate()} isDisabled={save.isPending}>
            Save permissions
          </Button>
          {saved ? (
            <span role="status">Saved. The next token minted for them reflects it.</span>
          ) : null}
          {save.isError ? (
            <span className="error" role="alert">
              {save.error.message}
            </span>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
