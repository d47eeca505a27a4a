import { useEffect, useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { RATE_LIMIT_NAMES } from '@tessera/contracts';
import { useApiMutation, useApiQueryClient } from '../../api/hooks';
import type { Tenant } from '../../api/types';
import { applyApiErrors } from '../../components/form-errors';
import { FormError } from '../../components/FormError';
import { FormField } from '../../components/FormField';
import { Button } from '../../components/ui';
import { PolicyFields } from '../applications/PolicyFields';
import { PolicyPreview } from '../applications/PolicyPreview';
import { RateLimitFields } from './RateLimitFields';
import {
  formOf,
  tenantSettingsSchema,
  toUpdateInput,
  type TenantSettingsForm as Form,
} from './tenant-settings-form';

/** The tenant's display name, default lifetimes and rotation, and rate limits: one save. */
export function TenantSettingsForm({ tenant }: { tenant: Tenant }) {
  const { invalidateEndpoint, setQueryData } = useApiQueryClient();
  const schema = useMemo(() => tenantSettingsSchema(tenant.policy), [tenant.policy]);
  const form = useForm<Form>({
    resolver: zodResolver(schema),
    defaultValues: formOf(tenant),
    mode: 'onTouched',
  });
  const { control, handleSubmit, setError, reset, formState } = form;
  const [formError, setFormError] = useState<string>();
  const [saved, setSaved] = useState<string>();

  // a confirmation speaks of what was saved: editing again takes it away
  useEffect(() => {
    if (formState.isDirty) setSaved(undefined);
  }, [formState.isDirty]);

  const save = useApiMutation('updateTenant', {
    onSuccess: async (t) => {
      setFormError(undefined);
      reset(formOf(t));
      setQueryData('getTenant', { path: { tenant: t.slug } }, t);
      await invalidateEndpoint('listTenants');
      setSaved(`Saved the settings of ${t.name}.`);
    },
    onError: (err) => {
      setSaved(undefined);
      setFormError(applyApiErrors(err, setError));
    },
  });

  const submit = handleSubmit((f) => {
    const dirty = formState.dirtyFields.rateLimits ?? {};
    const changed = RATE_LIMIT_NAMES.filter((n) => dirty[n]);
    save.mutate({ path: { tenant: tenant.slug }, body: toUpdateInput(f, changed) });
  });
  const hasErrors = formState.submitCount > 0 && Object.keys(formState.errors).length > 0;

  return (
    <form
      className="form"
      noValidate
      aria-labelledby="settings-form-title"
      aria-describedby={formError ? 'settings-error' : undefined}
      onSubmit={(e) => void submit(e)}
    >
      <h2 id="settings-form-title" className="sr-only">
        Tenant settings
      </h2>
      <FormError id="settings-error" message={formError} />
      <fieldset>
        <legend>Tenant</legend>
        <div className="grid-2">
          <FormField
            control={control}
            name="name"
            label="Display name"
            isRequired
            autoComplete="off"
            description="What administrators and users see, e.g. on the sign-in page."
          />
        </div>
      </fieldset>
      <PolicyFields control={control} tenant={tenant} editing="tenant" />
      <PolicyPreview control={control} tenant={tenant} />
      <RateLimitFields control={control} />
      <div className="actions">
        <Button type="submit" variant="primary" isDisabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save settings'}
        </Button>
        <span role="status" className={saved ? 'saved' : undefined}>
          {saved}
        </span>
        {hasErrors ? (
          <span role="alert" className="error">
            Fix the fields marked above to save.
          </span>
        ) : null}
      </div>
    </form>
  );
}
