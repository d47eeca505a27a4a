import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { z } from 'zod';
import { createTenantSchema, SIGNING_ALGS } from '@tessera/contracts';
import { useApiMutation, useApiQueryClient } from '../../api/hooks';
import { identity, SYSTEM_TENANT } from '../../auth/oidc';
import { applyApiErrors } from '../../components/form-errors';
import { FormError } from '../../components/FormError';
import { FormField } from '../../components/FormField';
import { FormSelect } from '../../components/FormSelect';
import { Button } from '../../components/ui';
import './tenants.css';

// the contract's schema; an empty slug is "Required", and the signing algorithm is always chosen
const newTenantSchema = createTenantSchema.pick({ slug: true, name: true }).extend({
  slug: z.string().min(1, 'Required').pipe(createTenantSchema.shape.slug),
  signingAlg: z.enum(SIGNING_ALGS),
});
type NewTenant = z.infer<typeof newTenantSchema>;

const ALG_LABELS: Record<(typeof SIGNING_ALGS)[number], string> = {
  ES256: 'ES256 (ECDSA P-256: every OpenID Connect library verifies it)',
  EdDSA: 'EdDSA (Ed25519: smaller and faster; check that your libraries support it)',
};

/** Creates a tenant (system administrators), then opens its settings. */
export default function NewTenantPage() {
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const { invalidateEndpoint } = useApiQueryClient();
  const [formError, setFormError] = useState<string>();
  const { control, handleSubmit, setError } = useForm<NewTenant>({
    resolver: zodResolver(newTenantSchema),
    defaultValues: { slug: search.get('slug') ?? '', name: '', signingAlg: 'ES256' },
    mode: 'onTouched',
  });
  const create = useApiMutation('createTenant', {
    onSuccess: async (t) => {
      await invalidateEndpoint('listTenants');
      void navigate(`/t/${t.slug}/settings`, {
        state: { created: `${t.name} (${t.slug})` },
      });
    },
    onError: (err) => setFormError(applyApiErrors(err, setError)),
  });
  if (identity()?.realm !== SYSTEM_TENANT)
    return (
      <section aria-labelledby="new-tenant-title">
        <h1 id="new-tenant-title">New tenant</h1>
        <p role="alert">Only administrators of the system tenant create tenants.</p>
      </section>
    );
  return (
    <section aria-labelledby="new-tenant-title">
      <p className="crumbs">
        <Link to="/tenants">Tenants</Link> /
      </p>
      <h1 id="new-tenant-title">New tenant</h1>
      <FormError id="form-error" message={formError} />
      <form
        className="form narrow-form"
        noValidate
        aria-describedby={formError ? 'form-error' : undefined}
        onSubmit={(e) =>
          void handleSubmit((f) => {
            setFormError(undefined);
            create.mutate({ body: f });
          })(e)
        }
      >
        <FormField
          control={control}
          name="slug"
          label="Slug"
          isRequired
          autoComplete="off"
          description="Part of its issuer URL (/t/slug) and of its administrators’ sign-in; it cannot be changed later."
        />
        <FormField
          control={control}
          name="name"
          label="Display name"
          isRequired
          autoComplete="off"
          description="What administrators and users see, e.g. on the sign-in page."
        />
        <FormSelect
          control={control}
          name="signingAlg"
          id="tenant-signing-alg"
          label="Signing algorithm"
          description="Signs its ID and access tokens; it cannot be changed later."
          options={SIGNING_ALGS.map((a) => ({ value: a, label: ALG_LABELS[a] }))}
        />
        <div className="actions">
          <Button type="submit" variant="primary" isDisabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create tenant'}
          </Button>
          <Link to="/tenants">Cancel</Link>
        </div>
      </form>
    </section>
  );
}
