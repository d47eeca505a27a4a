import { useMemo, useState } from 'react';
import { Controller, useForm, useWatch, type Control } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { GRANT_FLOWS, GRANT_TYPES } from '@tessera/contracts';
import { call } from '../../api/client';
import { useApiMutation, useApiQuery, useApiQueryClient } from '../../api/hooks';
import type { Application, EndedSignIns, ResourceServer, Tenant } from '../../api/types';
import { applyApiErrors } from '../../components/form-errors';
import { FormField } from '../../components/FormField';
import { FormSelect } from '../../components/FormSelect';
import { counted, humanDuration } from '../../components/format';
import {
  Button,
  Checkbox,
  CheckGroup,
  ConfirmDialog,
  ErrorState,
  Field,
  FormError,
  Loading,
  ModalDialog,
  SecretOnce,
} from '../../components/ui';
import {
  applicationFormSchema,
  emptyForm,
  fieldOfPointer,
  formOf,
  toCreateInput,
  toPolicyInput,
  toUpdateInput,
  type ApplicationForm,
} from './application-form';
import { effective, previewSentences } from './policy-preview';
import { RevokeTokensDialog } from './RevokeTokensDialog';

const GRANT_TYPE_LABELS: Record<(typeof GRANT_TYPES)[number], string> = {
  authorization_code: 'Sign-in (authorization_code)',
  refresh_token: 'Refresh tokens (refresh_token)',
  client_credentials: 'Machine to machine (client_credentials)',
};

const DURATIONS = [
  ['accessTokenTtl', 'Access token lifetime'],
  ['refreshIdleTtl', 'Refresh token idle lifetime'],
  ['refreshAbsoluteTtl', 'Refresh token absolute lifetime'],
  ['sessionIdleTtl', 'Session idle lifetime'],
  ['sessionAbsoluteTtl', 'Session absolute lifetime'],
] as const;

export default function ApplicationFormPage() {
  const { tenant = '', clientId } = useParams();
  const tenants = useApiQuery('listTenants', {}, { staleTime: 60_000 });
  const servers = useApiQuery('listResourceServers', { path: { tenant } });
  const app = useApiQuery(
    'getApplication',
    { path: { tenant, clientId: clientId ?? '' } },
    { enabled: !!clientId },
  );
  const current = tenants.data?.find((t) => t.slug === tenant);

  const failed = tenants.error ?? servers.error ?? app.error;
  if (failed)
    return (
      <ErrorState
        error={failed}
        retry={() => void Promise.all([tenants.refetch(), servers.refetch(), app.refetch()])}
      />
    );
  if (!current || !servers.data || (clientId && !app.data))
    return <Loading what="the application" />;
  return (
    <ApplicationEditor
      key={clientId ?? 'new'}
      tenant={current}
      servers={servers.data}
      app={clientId ? app.data : undefined}
    />
  );
}

function ApplicationEditor(p: { tenant: Tenant; servers: ResourceServer[]; app?: Application }) {
  const { tenant, servers, app } = p;
  const isNew = !app;
  const navigate = useNavigate();
  const { invalidateEndpoint } = useApiQueryClient();
  const schema = useMemo(() => applicationFormSchema(tenant.policy), [tenant.policy]);
  const form = useForm<ApplicationForm>({
    resolver: zodResolver(schema),
    defaultValues: app ? formOf(app, servers) : emptyForm(servers),
    mode: 'onTouched',
  });
  const { control, handleSubmit, setError, formState } = form;
  const [formError, setFormError] = useState<string>();
  const [secret, setSecret] = useState<{ clientId: string; value: string }>();
  const [confirmRegenerate, setConfirmRegenerate] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [confirmRevoke, setConfirmRevoke] = useState(false);
  const [revoked, setRevoked] = useState<EndedSignIns>();

  const invalidate = () =>
    invalidateEndpoint('listApplications', { path: { tenant: tenant.slug } });

  const save = useMutation({
    mutationFn: async (f: ApplicationForm) => {
      if (isNew)
        return call('createApplication', {
          path: { tenant: tenant.slug },
          body: toCreateInput(f),
        });
      return {
        application: await call('updateApplication', {
          path: { tenant: tenant.slug, clientId: app.clientId },
          body: toUpdateInput(f),
        }),
      };
    },
    onSuccess: async (r) => {
      setFormError(undefined);
      await invalidate();
      await invalidateEndpoint('getApplication', {
        path: { tenant: tenant.slug, clientId: r.application.clientId },
      });
      if ('clientSecret' in r && r.clientSecret)
        setSecret({ clientId: r.application.clientId, value: r.clientSecret });
      else navigate(`/t/${tenant.slug}/applications`);
    },
    onError: (err) => setFormError(applyApiErrors(err, setError, fieldOfPointer)),
  });

  // only offered when editing
  const existing = { path: { tenant: tenant.slug, clientId: app?.clientId ?? '' } };
  const regenerate = useApiMutation('regenerateApplicationSecret', {
    onSuccess: (r) => {
      setConfirmRegenerate(false);
      setSecret({ clientId: app!.clientId, value: r.clientSecret });
    },
  });

  const remove = useApiMutation('deleteApplication', {
    onSuccess: async () => {
      await invalidate();
      navigate(`/t/${tenant.slug}/applications`);
    },
  });

  const type = useWatch({ control, name: 'type' });
  const grantTypes = useWatch({ control, name: 'grantTypes' });

  return (
    <section aria-labelledby="app-title">
      <p className="crumbs">
        <Link to={`/t/${tenant.slug}/applications`}>Applications</Link> /
      </p>
      <h1 id="app-title">{isNew ? 'New application' : app.name}</h1>
      <FormError id="form-error" message={formError} />
      <form
        className="form"
        noValidate
        onSubmit={(e) => void handleSubmit((f) => save.mutate(f))(e)}
        aria-describedby={formError ? 'form-error' : undefined}
      >
        <fieldset>
          <legend>Application</legend>
          <div className="grid-2">
            <FormField control={control} name="name" label="Name" isRequired />
            <FormField
              control={control}
              name="clientId"
              label="Client ID"
              isReadOnly={!isNew}
              description={isNew ? 'Leave empty to generate one.' : 'Cannot be changed.'}
            />
            <FormSelect
              control={control}
              name="type"
              id="app-type"
              label="Type"
              isDisabled={!isNew}
              description={
                type === 'public'
                  ? 'Browser and mobile apps: no secret, PKCE, refresh tokens always rotate.'
                  : 'Server-side apps that can keep a secret.'
              }
              options={[
                { value: 'confidential', label: 'Confidential (has a secret)' },
                { value: 'public', label: 'Public (no secret: SPA, mobile)' },
              ]}
            />
          </div>
          <Controller
            control={control}
            name="grantTypes"
            render={({ field, fieldState }) => (
              <div
                className="field"
                role="group"
                aria-labelledby="grant-types-label"
                aria-describedby={fieldState.error ? 'grant-types-error' : undefined}
              >
                <span id="grant-types-label" className="label">
                  Grant types
                </span>
                <div className="checks">
                  {GRANT_TYPES.map((g) => (
                    <Checkbox
                      key={g}
                      isSelected={field.value.includes(g)}
                      onChange={(on) =>
                        field.onChange(
                          on ? [...field.value, g] : field.value.filter((x) => x !== g),
                        )
                      }
                    >
                      {GRANT_TYPE_LABELS[g]}
                    </Checkbox>
                  ))}
                </div>
                {fieldState.error ? (
                  <span id="grant-types-error" className="field-error" role="alert">
                    {fieldState.error.message}
                  </span>
                ) : null}
              </div>
            )}
          />
        </fieldset>

        <fieldset>
          <legend>Redirects and logout</legend>
          <FormField
            control={control}
            name="redirectUris"
            label="Redirect URIs"
            multiline
            description="One per line, matched exactly. https, http on loopback, or an app scheme."
          />
          <FormField
            control={control}
            name="postLogoutRedirectUris"
            label="Post-logout redirect URIs"
            multiline
            description="One per line: where RP-initiated logout may send the browser back."
          />
          <FormField
            control={control}
            name="backchannelLogoutUri"
            label="Back-channel logout URI"
            type="url"
            description="Tessera POSTs a logout token here when a session ends. Optional."
          />
        </fieldset>

        <PolicyFields control={control} tenant={tenant} />
        <PolicyPreview control={control} tenant={tenant} type={type} grantTypes={grantTypes} />

        <GrantFields control={control} servers={servers} />

        <div className="actions">
          <Button type="submit" variant="primary" isDisabled={save.isPending}>
            {save.isPending ? 'Saving…' : isNew ? 'Create application' : 'Save changes'}
          </Button>
          {!isNew && app.type === 'confidential' ? (
            <Button onPress={() => setConfirmRegenerate(true)}>Regenerate secret</Button>
          ) : null}
          {!isNew ? (
            <Button variant="danger" onPress={() => setConfirmRevoke(true)}>
              Revoke every token
            </Button>
          ) : null}
          {!isNew ? (
            <Button variant="danger" onPress={() => setConfirmDelete(true)}>
              Delete application
            </Button>
          ) : null}
          {revoked ? (
            <span role="status">
              Revoked: {counted(revoked.sessions, 'session’s sign-in', 'sessions’ sign-ins')} ended
              ({counted(revoked.sessionsEnded, 'session', 'sessions')} ended whole),{' '}
              {counted(revoked.families, 'refresh-token family', 'refresh-token families')}.
            </span>
          ) : null}
          {formState.isSubmitted && !formState.isValid ? (
            <span className="hint" role="status">
              Fix the fields marked above to save.
            </span>
          ) : null}
        </div>
      </form>

      <ModalDialog
        isOpen={!!secret}
        onOpenChange={(open) => {
          if (!open) {
            setSecret(undefined);
            navigate(`/t/${tenant.slug}/applications/${secret?.clientId ?? ''}`);
          }
        }}
        title="Client secret"
      >
        {secret ? (
          <>
            <p>
              Client ID: <code>{secret.clientId}</code>
            </p>
            <SecretOnce label="Client secret" value={secret.value} />
            <div className="actions">
              <Button slot="close" variant="primary">
                I have stored it
              </Button>
            </div>
          </>
        ) : null}
      </ModalDialog>
      <ConfirmDialog
        isOpen={confirmRegenerate}
        onOpenChange={setConfirmRegenerate}
        title="Regenerate the client secret?"
        confirmLabel="Regenerate secret"
        onConfirm={() => regenerate.mutate(existing)}
        isPending={regenerate.isPending}
        error={regenerate.error?.message}
      >
        The current secret stops working at once: every server using it fails to get tokens until it
        has the new one.
      </ConfirmDialog>
      <ConfirmDialog
        isOpen={confirmDelete}
        onOpenChange={setConfirmDelete}
        title={`Delete ${app?.name ?? 'the application'}?`}
        confirmLabel="Delete application"
        onConfirm={() => remove.mutate(existing)}
        isPending={remove.isPending}
        error={remove.error?.message}
      >
        Everything it holds ends first: its sign-ins to sessions (sessions it alone was signed in to
        end), its refresh tokens, and its access tokens (refused by feed-following APIs within about
        a second). Then its client ID stops working: sign-ins, refreshes and client credentials are
        refused.
      </ConfirmDialog>
      {app ? (
        <RevokeTokensDialog
          tenant={tenant.slug}
          app={app}
          isOpen={confirmRevoke}
          onClose={() => setConfirmRevoke(false)}
          onRevoked={(ended) => {
            setConfirmRevoke(false);
            setRevoked(ended);
          }}
        />
      ) : null}
    </section>
  );
}

/** An on/off override that may also follow the tenant (whose setting it names). */
const onOffOptions = (tenantDefault: boolean) => [
  { value: 'default' as const, label: `Tenant default (${tenantDefault ? 'on' : 'off'})` },
  { value: 'on' as const, label: 'On' },
  { value: 'off' as const, label: 'Off' },
];

function PolicyFields({ control, tenant }: { control: Control<ApplicationForm>; tenant: Tenant }) {
  const d = tenant.policy;
  return (
    <fieldset>
      <legend>Lifetimes and rotation</legend>
      <p className="hint">
        Write a number and a unit: <code>30s</code>, <code>15m</code>, <code>12h</code>,{' '}
        <code>14d</code>. Leave a field empty to use the tenant default shown beside it.
      </p>
      <div className="grid-2">
        {DURATIONS.map(([name, label]) => (
          <Controller
            key={name}
            control={control}
            name={`policy.${name}`}
            render={({ field, fieldState }) => (
              <Field
                label={label}
                {...field}
                placeholder={d[name]}
                description={`Tenant default: ${d[name]} (${humanDuration(d[name])})${field.value && !fieldState.error ? ` · this app: ${humanDuration(field.value)}` : ''}`}
                error={fieldState.error?.message}
              />
            )}
          />
        ))}
        <FormSelect
          control={control}
          name="policy.rotation"
          id="policy-rotation"
          label="Refresh token rotation"
          description="Each refresh returns a new refresh token; the old one becomes a tripwire."
          options={onOffOptions(d.rotation)}
        />
        <FormField
          control={control}
          name="policy.reuseGraceSeconds"
          label="Reuse grace (seconds)"
          placeholder={String(d.reuseGraceSeconds)}
          description={`Tenant default: ${d.reuseGraceSeconds} s. A just-rotated token presented again within this window gets the same successor instead of tripping reuse detection (two tabs refreshing at once).`}
        />
        <FormSelect
          control={control}
          name="policy.onReuse"
          id="policy-on-reuse"
          label="When a used refresh token comes back"
          options={[
            { value: 'default', label: `Tenant default (${d.onReuse})` },
            { value: 'revoke-session', label: 'Sign the whole session out' },
            { value: 'revoke-family', label: 'Revoke only this sign-in’s tokens' },
          ]}
        />
        <FormSelect
          control={control}
          name="policy.sliding"
          id="policy-sliding"
          label="Sliding sessions"
          description="On: each use extends the session's idle expiry."
          options={onOffOptions(d.sliding)}
        />
      </div>
    </fieldset>
  );
}

function PolicyPreview(p: {
  control: Control<ApplicationForm>;
  tenant: Tenant;
  type: ApplicationForm['type'];
  grantTypes: string[];
}) {
  const policy = useWatch({ control: p.control, name: 'policy' });
  const overrides = toPolicyInput(policy);
  return (
    <section className="preview" aria-labelledby="preview-title" aria-live="polite">
      <h2 id="preview-title">What this policy means</h2>
      {overrides ? (
        <ul>
          {previewSentences(effective(p.tenant.policy, overrides)).map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      ) : (
        <p className="hint">Fix the lifetimes above to see what they mean.</p>
      )}
    </section>
  );
}

function GrantFields({
  control,
  servers,
}: {
  control: Control<ApplicationForm>;
  servers: ResourceServer[];
}) {
  return (
    <fieldset>
      <legend>What it may request</legend>
      {servers.length === 0 ? (
        <p className="hint">No resource servers in this tenant yet.</p>
      ) : null}
      {servers.map((rs, i) => (
        <Controller
          key={rs.id}
          control={control}
          name={`grants.${i}`}
          render={({ field, fieldState }) => {
            const g = field.value;
            const set = (patch: Partial<typeof g>) => field.onChange({ ...g, ...patch });
            const toggle = (list: string[], v: string, on: boolean) =>
              on ? [...list, v] : list.filter((x) => x !== v);
            return (
              <div className="grant" role="group" aria-label={`Access to ${rs.name}`}>
                <Checkbox isSelected={g.isEnabled} onChange={(on) => set({ isEnabled: on })}>
                  <span>{rs.name}</span> <code>{rs.identifier}</code>
                </Checkbox>
                {g.isEnabled ? (
                  <div className="grant-detail">
                    <CheckGroup
                      label="Scopes"
                      name={`Scopes of ${rs.name}`}
                      options={rs.scopes.map((s) => ({ value: s.name, label: s.name }))}
                      selected={g.scopes}
                      onToggle={(v, on) => set({ scopes: toggle(g.scopes, v, on) })}
                    />
                    <CheckGroup
                      label="Permission groups"
                      name={`Permission groups of ${rs.name}`}
                      options={rs.permissionGroups.map((pg) => ({
                        value: pg.name,
                        label: pg.name,
                      }))}
                      selected={g.permissionGroups}
                      onToggle={(v, on) =>
                        set({ permissionGroups: toggle(g.permissionGroups, v, on) })
                      }
                    />
                    <CheckGroup
                      label="Flows"
                      name={`Flows for ${rs.name}`}
                      options={GRANT_FLOWS.map((f) => ({
                        value: f,
                        label: f === 'user' ? 'Signed-in users' : 'Client credentials',
                      }))}
                      selected={g.flows}
                      onToggle={(v, on) => set({ flows: toggle(g.flows, v, on) as typeof g.flows })}
                    />
                    {fieldState.error ? (
                      <span className="field-error" role="alert">
                        {fieldState.error.message ??
                          Object.values(fieldState.error).find(
                            (e): e is { message: string } =>
                              typeof e === 'object' && !!e && 'message' in e,
                          )?.message}
                      </span>
                    ) : null}
                  </div>
                ) : null}
              </div>
            );
          }}
        />
      ))}
    </fieldset>
  );
}
