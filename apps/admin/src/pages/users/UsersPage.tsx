import { useMemo, useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { z } from 'zod';
import { createUserSchema } from '@tessera/contracts';
import { call } from '../../api/client';
import { useApiQuery, useApiQueryClient } from '../../api/hooks';
import type { User } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { applyApiErrors } from '../../components/form-errors';
import { FormField } from '../../components/FormField';
import { dateTime } from '../../components/format';
import {
  Button,
  Checkbox,
  ErrorState,
  Field,
  FormError,
  Loading,
  ModalDialog,
} from '../../components/ui';

const columns = (tenant: string): ColumnSpec<User>[] => [
  {
    id: 'email',
    header: 'Email',
    isRowHeader: true,
    sortValue: (u) => u.email,
    cell: (u) => <Link to={`/t/${tenant}/users/${u.id}`}>{u.email}</Link>,
  },
  {
    id: 'status',
    header: 'Status',
    sortValue: (u) => (u.isDisabled ? 1 : 0),
    cell: (u) => (u.isDisabled ? 'Disabled' : 'Active'),
  },
  {
    id: 'roles',
    header: 'Roles',
    sortValue: (u) => u.roles.join(','),
    cell: (u) => u.roles.join(', ') || '—',
  },
  {
    id: 'createdAt',
    header: 'Created',
    sortValue: (u) => u.createdAt,
    cell: (u) => dateTime(u.createdAt),
  },
];

// the contract's schema, with the admin role as a checkbox
const newUserSchema = createUserSchema
  .pick({ email: true, password: true })
  .extend({ isAdmin: z.boolean() });
type NewUser = z.infer<typeof newUserSchema>;

export default function UsersPage() {
  const { tenant = '' } = useParams();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const q = search.get('q') ?? '';
  const users = useApiQuery('listUsers', { path: { tenant } });
  const cols = useMemo(() => columns(tenant), [tenant]);
  const [isCreating, setCreating] = useState(false);
  const rows = useMemo(
    () => (users.data ?? []).filter((u) => u.email.includes(q.trim().toLowerCase())),
    [users.data, q],
  );
  return (
    <section aria-labelledby="users-title">
      <div className="page-head">
        <h1 id="users-title">Users</h1>
        <Button variant="primary" onPress={() => setCreating(true)}>
          New user
        </Button>
      </div>
      <div className="filters" role="search" aria-label="Filter users">
        <Field
          label="Email contains"
          value={q}
          onChange={(v) => setSearch(v ? { q: v } : {}, { replace: true })}
        />
      </div>
      {users.isPending ? (
        <Loading what="users" />
      ) : users.isError ? (
        <ErrorState error={users.error} retry={() => void users.refetch()} />
      ) : (
        <DataTable
          label="Users"
          rows={rows}
          columns={cols}
          onRowAction={(u) => navigate(`/t/${tenant}/users/${u.id}`)}
          rowId={(u) => u.id}
          initialSort={{ id: 'email', desc: false }}
          empty={q ? 'No user matches this filter.' : 'No users yet.'}
        />
      )}
      <NewUserDialog tenant={tenant} isOpen={isCreating} onOpenChange={setCreating} />
    </section>
  );
}

function NewUserDialog(p: { tenant: string; isOpen: boolean; onOpenChange: (o: boolean) => void }) {
  const { invalidateEndpoint } = useApiQueryClient();
  const [formError, setFormError] = useState<string>();
  const { control, handleSubmit, setError, reset } = useForm<NewUser>({
    resolver: zodResolver(newUserSchema),
    defaultValues: { email: '', password: '', isAdmin: false },
    mode: 'onTouched',
  });
  const create = useMutation({
    mutationFn: (f: NewUser) =>
      call('createUser', {
        path: { tenant: p.tenant },
        body: { email: f.email, password: f.password, roles: f.isAdmin ? ['admin'] : [] },
      }),
    onSuccess: async () => {
      await invalidateEndpoint('listUsers', { path: { tenant: p.tenant } });
      reset();
      setFormError(undefined);
      p.onOpenChange(false);
    },
    onError: (err) => setFormError(applyApiErrors(err, setError)),
  });
  return (
    <ModalDialog isOpen={p.isOpen} onOpenChange={p.onOpenChange} title="New user">
      <form
        className="form"
        noValidate
        onSubmit={(e) => void handleSubmit((f) => create.mutate(f))(e)}
      >
        <FormError message={formError} />
        <FormField
          control={control}
          name="email"
          label="Email"
          type="email"
          isRequired
          autoComplete="off"
        />
        <FormField
          control={control}
          name="password"
          label="Initial password"
          type="password"
          isRequired
          autoComplete="new-password"
          description="At least 8 characters. Tell the user through another channel."
        />
        <Controller
          control={control}
          name="isAdmin"
          render={({ field }) => (
            <Checkbox isSelected={field.value} onChange={field.onChange}>
              Administrator of this tenant (signs in to the admin console at this tenant with this
              email and password)
            </Checkbox>
          )}
        />
        <div className="actions">
          <Button slot="close">Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create user'}
          </Button>
        </div>
      </form>
    </ModalDialog>
  );
}
