import { useState } from 'react';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';
import { createUserSchema } from '@tessera/contracts';
import { call } from '../../api/client';
import { useApiQueryClient } from '../../api/hooks';
import { applyApiErrors } from '../../components/form-errors';
import { FormCheckbox } from '../../components/FormCheckbox';
import { FormField } from '../../components/FormField';
import { FormSummary } from '../../components/FormSummary';
import { confirmSaved } from '../../components/save-confirmation';
import { Button, ModalDialog } from '../../components/ui';
import { useConsoleForm } from '../../components/use-console-form';

// the contract's schema, with the admin role as a checkbox
const newUserSchema = createUserSchema
  .pick({ email: true, password: true })
  .extend({ isAdmin: z.boolean() });
type NewUser = z.infer<typeof newUserSchema>;

/** Creates a user with an initial password, optionally as an administrator of the tenant. */
export function NewUserDialog(p: {
  tenant: string;
  isOpen: boolean;
  onOpenChange: (o: boolean) => void;
}) {
  const { invalidateEndpoint } = useApiQueryClient();
  const [formError, setFormError] = useState<string>();
  const { control, handleSubmit, setError, reset } = useConsoleForm<NewUser>({
    resolver: zodResolver(newUserSchema),
    defaultValues: { email: '', password: '', isAdmin: false },
  });
  const create = useMutation({
    mutationFn: (f: NewUser) =>
      call('createUser', {
        path: { tenant: p.tenant },
        body: { email: f.email, password: f.password, roles: f.isAdmin ? ['admin'] : [] },
      }),
    onSuccess: async (_, f) => {
      confirmSaved(`Created ${f.email}${f.isAdmin ? ', an administrator of this tenant' : ''}`);
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
        onSubmit={(e) => {
          setFormError(undefined);
          void handleSubmit((f) => create.mutate(f))(e);
        }}
        aria-describedby="new-user-summary"
      >
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
        <FormCheckbox control={control} name="isAdmin">
          Administrator of this tenant (signs in to the admin console at this tenant with this email
          and password)
        </FormCheckbox>
        <div className="actions">
          <Button slot="close">Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create user'}
          </Button>
          <FormSummary id="new-user-summary" control={control} message={formError} />
        </div>
      </form>
    </ModalDialog>
  );
}
