import { useMemo, useState } from 'react';
import { useFieldArray, useWatch } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { call } from '../../api/client';
import { useApiQueryClient } from '../../api/hooks';
import type { ResourceServer } from '../../api/types';
import { applyApiErrors } from '../../components/form-errors';
import { DurationField } from '../../components/DurationField';
import { FormCheckbox } from '../../components/FormCheckbox';
import { FormCheckGroup } from '../../components/FormCheckGroup';
import { FormField } from '../../components/FormField';
import { FormSummary } from '../../components/FormSummary';
import { confirmSaved } from '../../components/save-confirmation';
import { Button } from '../../components/ui';
import { useConsoleForm } from '../../components/use-console-form';
import { schema, toInput, type ResourceServerForm as Form } from './resource-server-form';
import { WhoMayRequest } from './WhoMayRequest';

/** Creates or edits one resource server: identifier, lifetimes, scopes and permission groups. */
export function ResourceServerEditor({
  tenant,
  server,
}: {
  tenant: string;
  server?: ResourceServer;
}) {
  const navigate = useNavigate();
  const { invalidateEndpoint } = useApiQueryClient();
  const [formError, setFormError] = useState<string>();
  const defaults = useMemo<Form>(
    () => ({
      identifier: server?.identifier ?? '',
      name: server?.name ?? '',
      baseUrls: server?.baseUrls.join('\n') ?? '',
      accessTokenTtl: server?.accessTokenTtl ?? '',
      allowsOfflineAccess: server?.allowsOfflineAccess ?? true,
      scopes: server?.scopes ?? [],
      permissionGroups: server?.permissionGroups ?? [],
    }),
    [server],
  );
  const { control, handleSubmit, setError } = useConsoleForm<Form>({
    resolver: zodResolver(schema),
    defaultValues: defaults,
  });
  const scopes = useFieldArray({ control, name: 'scopes' });
  const groups = useFieldArray({ control, name: 'permissionGroups' });
  const scopeValues = useWatch({ control, name: 'scopes' });

  const save = useMutation({
    mutationFn: (f: Form) =>
      server
        ? call('replaceResourceServer', {
            path: { tenant, id: server.id },
            body: toInput(f),
          })
        : call('createResourceServer', {
            path: { tenant },
            body: toInput(f),
          }),
    onSuccess: async (saved) => {
      confirmSaved(server ? `Saved “${saved.name}”` : `Created “${saved.name}”`);
      await invalidateEndpoint('listResourceServers', { path: { tenant } });
      if (server)
        await invalidateEndpoint('getResourceServer', { path: { tenant, id: server.id } });
      void navigate(`/t/${tenant}/resource-servers`);
    },
    onError: (err) => setFormError(applyApiErrors(err, setError)),
  });

  return (
    <section aria-labelledby="rs-form-title">
      <p className="crumbs">
        <Link to={`/t/${tenant}/resource-servers`}>Resource servers</Link> /
      </p>
      <h1 id="rs-form-title">{server ? server.name : 'New resource server'}</h1>
      {server?.isSystem ? (
        <p className="hint">This is Tessera&apos;s own admin API; its scopes come with Tessera.</p>
      ) : null}
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          setFormError(undefined);
          void handleSubmit((f) => save.mutate(f))(e);
        }}
        aria-describedby="rs-form-summary"
      >
        <fieldset>
          <legend>Resource server</legend>
          <div className="grid-2">
            <FormField
              control={control}
              name="identifier"
              label="Identifier"
              isRequired
              isReadOnly={!!server}
              placeholder="https://api.example.com"
              description="An absolute URI: the tokens' audience (aud). Cannot be changed later."
            />
            <FormField control={control} name="name" label="Name" isRequired />
            <FormField
              control={control}
              name="baseUrls"
              label="API base URLs"
              multiline
              description="One per line: where this API answers (e.g. one per environment or region)."
            />
            <DurationField
              control={control}
              name="accessTokenTtl"
              label="Access token lifetime for this API"
              owner="this API"
              hint="Optional, e.g. 5m, at most 1d: overrides the applications' lifetime for tokens of this audience."
            />
          </div>
          <FormCheckbox control={control} name="allowsOfflineAccess">
            Sign-ins for this API may get refresh tokens
          </FormCheckbox>
        </fieldset>

        <fieldset>
          <legend>Scopes</legend>
          {scopes.fields.length === 0 ? <p className="hint">No scopes yet.</p> : null}
          {scopes.fields.map((s, i) => (
            <div key={s.id} className="row-fields" role="group" aria-label={`Scope ${i + 1}`}>
              <FormField
                control={control}
                name={`scopes.${i}.name`}
                label={`Scope ${i + 1} name`}
                placeholder="orders:read"
              />
              <FormField
                control={control}
                name={`scopes.${i}.description`}
                label={`Scope ${i + 1} description`}
              />
              <Button onPress={() => scopes.remove(i)} aria-label={`Remove scope ${i + 1}`}>
                Remove
              </Button>
            </div>
          ))}
          <Button onPress={() => scopes.append({ name: '', description: '' })}>Add scope</Button>
        </fieldset>

        <fieldset>
          <legend>Permission groups</legend>
          <p className="hint">
            A group bundles scopes under one name you give users (e.g. “support” → orders:read).
          </p>
          {groups.fields.map((g, i) => (
            <div
              key={g.id}
              className="group-fields"
              role="group"
              aria-label={`Permission group ${i + 1}`}
            >
              <FormField
                control={control}
                name={`permissionGroups.${i}.name`}
                label={`Group ${i + 1} name`}
              />
              <FormCheckGroup
                control={control}
                name={`permissionGroups.${i}.scopes`}
                label="Scopes it grants"
                groupName={`Scopes of group ${i + 1}`}
                options={scopeValues
                  .filter((s) => s.name)
                  .map((s) => ({ value: s.name, label: s.name }))}
                empty="Add scopes above first."
              />
              <Button onPress={() => groups.remove(i)} aria-label={`Remove group ${i + 1}`}>
                Remove group
              </Button>
            </div>
          ))}
          <Button onPress={() => groups.append({ name: '', scopes: [] })}>
            Add permission group
          </Button>
        </fieldset>

        {server ? <WhoMayRequest tenant={tenant} server={server} /> : null}

        <div className="actions">
          <Button type="submit" variant="primary" isDisabled={save.isPending}>
            {save.isPending ? 'Saving…' : server ? 'Save changes' : 'Create resource server'}
          </Button>
          <FormSummary id="rs-form-summary" control={control} message={formError} />
        </div>
      </form>
    </section>
  );
}
