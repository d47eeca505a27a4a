import { useRef, useState } from 'react';
import { useApiMutation, useApiQueryClient } from '../../api/hooks';
import type { Tenant } from '../../api/types';
import { FormError } from '../../components/FormError';
import { Button, Field, ModalDialog } from '../../components/ui';

/** Deletes a tenant once its slug is typed, after saying in words everything that ends. */
export function DeleteTenantDialog(p: {
  tenant: Tenant;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const { tenant } = p;
  const { invalidateEndpoint } = useApiQueryClient();
  const [typed, setTyped] = useState('');
  const [mismatch, setMismatch] = useState<string>();
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const remove = useApiMutation('deleteTenant', {
    onSuccess: async () => {
      await invalidateEndpoint('listTenants');
      p.onDeleted();
    },
  });
  const confirm = () => {
    if (typed.trim() !== tenant.slug) {
      setMismatch(`Type the slug, ${tenant.slug}, to delete this tenant`);
      field.current?.focus();
      return;
    }
    remove.mutate({ path: { tenant: tenant.slug } });
  };
  return (
    <ModalDialog
      isOpen
      onOpenChange={(open) => (open ? undefined : p.onClose())}
      title={`Delete ${tenant.name} (${tenant.slug})?`}
      role="alertdialog"
    >
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          confirm();
        }}
      >
        <div className="dialog-body">
          <p>Everything {tenant.name} holds ends at once, and cannot be brought back:</p>
          <ul>
            <li>
              Its issuer, <code>{tenant.issuer}</code>, stops answering: no sign-in, refresh or
              discovery works from now on.
            </li>
            <li>
              Every session of its users ends; applications with a back-channel logout URI are told
              that their users signed out.
            </li>
            <li>
              Its applications, users, resource servers and signing keys are gone, and so are its
              tokens: introspection answers inactive, and feed-following APIs refuse its access
              tokens within about a second.
            </li>
            <li>Its administrators can no longer sign in to this console.</li>
          </ul>
        </div>
        <Field
          label={`Type ${tenant.slug} to confirm`}
          value={typed}
          onChange={(v) => {
            setTyped(v);
            if (v.trim() === tenant.slug) setMismatch(undefined);
          }}
          autoComplete="off"
          error={mismatch}
          ref={field}
        />
        <FormError message={remove.error?.message} />
        <div className="actions">
          <Button onPress={p.onClose}>Cancel</Button>
          <Button type="submit" variant="danger" isDisabled={remove.isPending}>
            {remove.isPending ? 'Deleting…' : 'Delete tenant'}
          </Button>
        </div>
      </form>
    </ModalDialog>
  );
}
