import { useMemo, useState } from 'react';
import { Controller, useFieldArray, useForm, useWatch } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { z } from 'zod';
import {
  accessTokenTtlSchema,
  resourceIndicatorSchema,
  scopeNameSchema,
  type ResourceServerInput,
} from '@tessera/contracts';
import { call } from '../../api/client';
import { useApiQuery, useApiQueryClient } from '../../api/hooks';
import type { ResourceServer } from '../../api/types';
import { applyApiErrors } from '../../components/form-errors';
import { FormField } from '../../components/FormField';
import { Button, Checkbox, ErrorState, FormError, Loading } from '../../components/ui';

const lines = (v: string) =>
  v
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

const schema = z
  .object({
    identifier: resourceIndicatorSchema,
    name: z.string().trim().min(1, 'Give it a name'),
    baseUrls: z.string().superRefine((v, ctx) =>
      lines(v).forEach((l, i) => {
        if (!z.url().safeParse(l).success)
          ctx.addIssue({ code: 'custom', message: `Line ${i + 1}: must be an absolute URL` });
      }),
    ),
    accessTokenTtl: z.union([z.literal(''), accessTokenTtlSchema]),
    allowsOfflineAccess: z.boolean(),
    scopes: z.array(
      z.object({
        name: scopeNameSchema,
        description: z.string().max(500, 'At most 500 characters'),
      }),
    ),
    permissionGroups: z.array(
      z.object({
        name: z.string().trim().min(1, 'Name the group').max(128),
        scopes: z.array(z.string()),
      }),
    ),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.scopes.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({
          code: 'custom',
          path: ['scopes', i, 'name'],
          message: 'Already listed above',
        });
      seen.add(s.name);
    });
    f.permissionGroups.forEach((g, i) => {
      if (g.scopes.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['permissionGroups', i, 'scopes'],
          message: 'A group grants at least one scope',
        });
    });
  });
type Form = z.infer<typeof schema>;

function toInput(f: Form): ResourceServerInput {
  const names = new Set(f.scopes.map((s) => s.name));
  return {
    identifier: f.identifier.trim(),
    name: f.name.trim(),
    baseUrls: lines(f.baseUrls),
    accessTokenTtl: f.accessTokenTtl || null,
    allowsOfflineAccess: f.allowsOfflineAccess,
    scopes: f.scopes,
    // a scope deleted above leaves the groups too
    permissionGroups: f.permissionGroups.map((g) => ({
      name: g.name.trim(),
      scopes: g.scopes.filter((s) => names.has(s)),
    })),
  };
}

export default function ResourceServerFormPage() {
  const { tenant = '', id } = useParams();
  const rs = useApiQuery(
    'getResourceServer',
    { path: { tenant, id: id ?? '' } },
    { enabled: !!id },
  );
  if (id && rs.isError) return <ErrorState error={rs.error} retry={() => void rs.refetch()} />;
  if (id && !rs.data) return <Loading what="the resource server" />;
  return <Editor key={id ?? 'new'} tenant={tenant} server={rs.data} />;
}

function Editor({ tenant, server }: { tenant: string; server?: ResourceServer }) {
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
  const { control, handleSubmit, setError } = useForm<Form>({
    resolver: zodResolver(schema),
    defaultValues: defaults,
    mode: 'onTouched',
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
    onSuccess: async () => {
      await invalidateEndpoint('listResourceServers', { path: { tenant } });
      if (server)
        await invalidateEndpoint('getResourceServer', { path: { tenant, id: server.id } });
      navigate(`/t/${tenant}/resource-servers`);
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
      <FormError message={formError} />
      <form
        className="form"
        noValidate
        onSubmit={(e) => void handleSubmit((f) => save.mutate(f))(e)}
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
            <FormField
              control={control}
              name="accessTokenTtl"
              label="Access token lifetime for this API"
              description="Optional, e.g. 5m, at most 1d: overrides the applications' lifetime for tokens of this audience."
            />
          </div>
          <Controller
            control={control}
            name="allowsOfflineAccess"
            render={({ field }) => (
              <Checkbox isSelected={field.value} onChange={field.onChange}>
                Sign-ins for this API may get refresh tokens
              </Checkbox>
            )}
          />
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
              <Controller
                control={control}
                name={`permissionGroups.${i}.scopes`}
                render={({ field, fieldState }) => (
                  <div role="group" aria-label={`Scopes of group ${i + 1}`} className="checks">
                    <span className="label">Scopes it grants</span>
                    {scopeValues.filter((s) => s.name).length === 0 ? (
                      <span className="hint">Add scopes above first.</span>
                    ) : null}
                    {scopeValues
                      .filter((s) => s.name)
                      .map((s) => (
                        <Checkbox
                          key={s.name}
                          isSelected={field.value.includes(s.name)}
                          onChange={(on) =>
                            field.onChange(
                              on
                                ? [...field.value, s.name]
                                : field.value.filter((x) => x !== s.name),
                            )
                          }
                        >
                          {s.name}
                        </Checkbox>
                      ))}
                    {fieldState.error ? (
                      <span className="field-error" role="alert">
                        {fieldState.error.message}
                      </span>
                    ) : null}
                  </div>
                )}
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
        </div>
      </form>
    </section>
  );
}

/** Which applications may request what from this API (granted on each application's page). */
function WhoMayRequest({ tenant, server }: { tenant: string; server: ResourceServer }) {
  const apps = useApiQuery('listApplications', { path: { tenant } });
  const granted = (apps.data ?? []).flatMap((a) =>
    a.grants
      .filter((g) => g.resourceServer === server.identifier)
      .map((g) => ({ app: a, grant: g })),
  );
  return (
    <fieldset>
      <legend>Applications that may request from it</legend>
      {apps.isPending ? (
        <Loading what="applications" />
      ) : apps.isError ? (
        <ErrorState error={apps.error} retry={() => void apps.refetch()} />
      ) : granted.length === 0 ? (
        <p className="hint">None yet: grant access on an application&apos;s page.</p>
      ) : (
        <ul>
          {granted.map(({ app, grant }) => (
            <li key={app.clientId}>
              <Link to={`/t/${tenant}/applications/${encodeURIComponent(app.clientId)}`}>
                {app.name}
              </Link>
              :{' '}
              {[...grant.scopes, ...grant.permissionGroups.map((g) => `group ${g}`)].join(', ') ||
                'no scopes'}{' '}
              ({grant.flows.join(', ')})
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
