import { useState } from 'react';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { updateUserSchema } from '@tessera/contracts';
import { z } from 'zod';
import { call } from '../../api/client';
import type { User } from '../../api/types';
import { applyApiErrors } from '../../components/form-errors';
import { FormField } from '../../components/FormField';
import { FormSummary } from '../../components/FormSummary';
import { Button, ModalDialog } from '../../components/ui';
import { useConsoleForm } from '../../components/use-console-form';

const resetSchema = z.object({ password: updateUserSchema.shape.password.unwrap() });

/** Sets a user's password; their sessions stay (the text says how to end them too). */
export function ResetPasswordDialog(p: {
  tenant: string;
  user: User;
  isOpen: boolean;
  onOpenChange: (o: boolean) => void;
}) {
  const [done, setDone] = useState(false);
  const { control, handleSubmit, setError, reset } = useConsoleForm<{ password: string }>({
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
      setFormError(undefined);
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
          onSubmit={(e) => {
            setFormError(undefined);
            void handleSubmit((f) => save.mutate(f))(e);
          }}
          aria-describedby="reset-password-summary"
        >
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
            <FormSummary id="reset-password-summary" control={control} message={formError} />
          </div>
        </form>
      )}
    </ModalDialog>
  );
}
