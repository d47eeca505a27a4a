import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';
import { createUserSchema } from '@tessera/contracts';
import { call } from '../../api/client';
import { useApiMutation, useApiQuery, useApiQueryClient } from '../../api/hooks';
import type { Tenant, TenantAdmin } from '../../api/types';
import { identity } from '../../auth/oidc';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Empty } from '../../components/Empty';
import { ErrorState } from '../../components/ErrorState';
import { applyApiErrors } from '../../components/form-errors';
import { FormError } from '../../components/FormError';
import { FormField } from '../../components/FormField';
import { dateTime } from '../../components/format';
import { Loading } from '../../components/Loading';
import { Button } from '../../components/ui';

// an existing user needs only the email; a new one also an initial password (the contract's rule)
const inviteSchema = z.object({
  email: createUserSchema.shape.email,
  password: z.union([z.literal(''), createUserSchema.shape.password]),
});
type Invite = z.infer<typeof inviteSchema>;

const nameOf = (a: TenantAdmin) =>
  a.name ?? (a.kind === 'user' ? `A deleted user (${a.subject})` : a.subject);

/**
 * Who administers the tenant: its own users with the admin role (and client_credentials
 * applications made administrators through the API). Nobody of another tenant can be named.
 */
export function TenantAdmins({ tenant }: { tenant: Tenant }) {
  const params = { path: { tenant: tenant.slug } };
  const admins = useApiQuery('listTenantAdmins', params);
  const { invalidateEndpoint } = useApiQueryClient();
  const me = identity();
  const [removing, setRemoving] = useState<TenantAdmin>();
  const [status, setStatus] = useState<string>();
  const [formError, setFormError] = useState<string>();
  const { control, handleSubmit, setError, reset } = useForm<Invite>({
    resolver: zodResolver(inviteSchema),
    defaultValues: { email: '', password: '' },
    mode: 'onTouched',
  });

  const refresh = () =>
    Promise.all([
      invalidateEndpoint('listTenantAdmins', params),
      invalidateEndpoint('listUsers', params),
    ]);

  const invite = useMutation({
    mutationFn: async (f: Invite): Promise<string | undefined> => {
      const email = f.email.trim().toLowerCase();
      // only this tenant's users: someone of another tenant is not found here
      const [user] = await call('listUsers', { ...params, query: { email } });
      if (user) {
        await call('addTenantAdmin', { ...params, body: { subject: user.id } });
        return `${user.email} is now an administrator of ${tenant.name}.`;
      }
      if (!f.password) {
        setError('password', {
          type: 'required',
          message: `${email} has no account in ${tenant.name} yet: choose an initial password to create one`,
        });
        return undefined;
      }
      await call('createUser', {
        ...params,
        body: { email, password: f.password, roles: ['admin'] },
      });
      return `Created ${email} in ${tenant.name} as an administrator. Give them the initial password through another channel.`;
    },
    onSuccess: async (done) => {
      if (!done) return;
      setFormError(undefined);
      reset();
      await refresh();
      setStatus(done);
    },
    onError: (err) => {
      setStatus(undefined);
      setFormError(applyApiErrors(err, setError));
    },
  });

  const remove = useApiMutation('removeTenantAdmin', {
    onSuccess: async () => {
      const gone = removing;
      setRemoving(undefined);
      await refresh();
      if (gone) setStatus(`${nameOf(gone)} no longer administers ${tenant.name}.`);
    },
  });

  const list = admins.data ?? [];
  const people = list.filter((a) => a.kind === 'user');
  /** Why the caller cannot remove themselves: nobody else would be left to administer it. */
  const isLastSelf = (a: TenantAdmin) =>
    a.subject === me?.sub && people.length === 1 && people[0].subject === a.subject;

  return (
    <section aria-labelledby="admins-title" className="admins">
      <h2 id="admins-title">Administrators</h2>
      <p className="hint">
        Administrators of {tenant.name} are its own users: they sign in to this console at{' '}
        {tenant.name} with their email and password. Nobody of another tenant can be named.
      </p>
      <p role="status" className={status ? 'saved' : undefined}>
        {status}
      </p>
      {admins.isPending ? (
        <Loading what="administrators" />
      ) : admins.isError ? (
        <ErrorState error={admins.error} retry={() => void admins.refetch()} />
      ) : list.length === 0 ? (
        <Empty>
          Nobody of {tenant.name} administers it yet: only the system tenant’s administrators can.
        </Empty>
      ) : (
        <ul className="admin-list" aria-label={`Administrators of ${tenant.name}`}>
          {list.map((a) => (
            <li key={a.subject} aria-label={nameOf(a)}>
              <span className="admin-name">
                {nameOf(a)}
                {a.subject === me?.sub ? ' (you)' : ''}
                {a.kind === 'application' ? <span className="badge">Application</span> : null}
              </span>
              <span className="hint">Since {dateTime(a.createdAt)}</span>
              {isLastSelf(a) ? (
                <span className="hint">
                  You are its only administrator: make someone else one before removing yourself.
                </span>
              ) : (
                <Button variant="danger" onPress={() => setRemoving(a)}>
                  Remove<span className="sr-only"> {nameOf(a)}</span>
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}

      <form
        className="form invite"
        noValidate
        aria-labelledby="invite-title"
        onSubmit={(e) =>
          void handleSubmit((f) => {
            setStatus(undefined);
            invite.mutate(f);
          })(e)
        }
      >
        <h3 id="invite-title">Add an administrator</h3>
        <p className="hint">
          A user of {tenant.name} gets the admin role. Someone without an account in {tenant.name}{' '}
          gets one, with the initial password you choose.
        </p>
        <FormError message={formError} />
        <div className="grid-2">
          <FormField
            control={control}
            name="email"
            label="Email of the new administrator"
            type="email"
            isRequired
            autoComplete="off"
          />
          <FormField
            control={control}
            name="password"
            label="Initial password (only for a new account)"
            type="password"
            autoComplete="new-password"
            description="At least 8 characters. Tell them through another channel."
          />
        </div>
        <div className="actions">
          <Button type="submit" variant="primary" isDisabled={invite.isPending}>
            {invite.isPending ? 'Adding…' : 'Make administrator'}
          </Button>
        </div>
      </form>

      <ConfirmDialog
        isOpen={!!removing}
        onOpenChange={(open) => (open ? undefined : setRemoving(undefined))}
        title={`Remove ${removing ? nameOf(removing) : ''} as an administrator?`}
        confirmLabel="Remove administrator"
        onConfirm={() =>
          removing && remove.mutate({ path: { tenant: tenant.slug, subject: removing.subject } })
        }
        isPending={remove.isPending}
        error={remove.error?.message}
      >
        {removing?.subject === me?.sub
          ? `You can no longer administer ${tenant.name}: the console and the admin API refuse you from your next request.`
          : `${removing ? nameOf(removing) : ''} can no longer administer ${tenant.name}: the console and the admin API refuse them from their next request. ${removing?.kind === 'user' ? 'Their account stays, without the admin role.' : ''}`}
      </ConfirmDialog>
    </section>
  );
}
