import { useMemo, useState } from 'react';
import { useWatch } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { GRANT_TYPES } from '@tessera/contracts';
import { call } from '../../api/client';
import { useApiMutation, useApiQueryClient } from '../../api/hooks';
import type { Application, EndedSignIns, ResourceServer, Tenant } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { applyApiErrors } from '../../components/form-errors';
import { FormCheckbox } from '../../components/FormCheckbox';
import { FormCheckGroup } from '../../components/FormCheckGroup';
import { FormField } from '../../components/FormField';
import { FormSelect } from '../../components/FormSelect';
import { FormSummary } from '../../components/FormSummary';
import { counted } from '../../components/format';
import { confirmSaved } from '../../components/save-confirmation';
import { SecretOnce } from '../../components/SecretOnce';
import { Button, ModalDialog } from '../../components/ui';
import { useConsoleForm } from '../../components/use-console-form';
import {
  applicationFormSchema,
  emptyForm,
  fieldOfPointer,
  formOf,
  toCreateInput,
  toUpdateInput,
  type ApplicationForm,
} from './application-form';
import { GrantFields } from './GrantFields';
import { TokenExchangeFields } from './TokenExchangeFields';
import { IntegrationPanel } from './IntegrationPanel';
import { PolicyFields } from './PolicyFields';
import { PolicyPreview } from './PolicyPreview';
import { RevokeTokensDialog } from './RevokeTokensDialog';
import { systemClientReason } from './system-client';
import { SystemClientBadge } from './SystemClientBadge';

const GRANT_TYPE_LABELS: Record<(typeof GRANT_TYPES)[number], string> = {
  authorization_code: 'Sign-in (authorization_code)',
  refresh_token: 'Refresh tokens (refresh_token)',
  client_credentials: 'Machine to machine (client_credentials)',
  'urn:ietf:params:oauth:grant-type:token-exchange': 'Token exchange (RFC 8693)',
};

/** Creates or edits one application: its form, and the secret, revoke and delete actions. */
export function ApplicationEditor(p: {
  tenant: Tenant;
  servers: ResourceServer[];
  app?: Application;
}) {
  const { tenant, servers, app } = p;
  const isNew = !app;
  const navigate = useNavigate();
  const { invalidateEndpoint } = useApiQueryClient();
  const schema = useMemo(() => applicationFormSchema(tenant.policy), [tenant.policy]);
  const form = useConsoleForm<ApplicationForm>({
    resolver: zodResolver(schema),
    defaultValues: app ? formOf(app, servers) : emptyForm(servers),
  });
  const { control, handleSubmit, setError } = form;
  const [formError, setFormError] = useState<string>();
  const [secret, setSecret] = useState<{ clientId: string; name: string; value: string }>();
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
      const { clientId, name } = r.application;
      // the secret is shown first; its dialog confirms the creation when it closes
      if ('clientSecret' in r && r.clientSecret)
        return setSecret({ clientId, name, value: r.clientSecret });
      confirmSaved(isNew ? `Created “${name}”` : `Saved “${name}”`);
      void navigate(`/t/${tenant.slug}/applications`);
    },
    onError: (err, f) => setFormError(applyApiErrors(err, setError, fieldOfPointer(f))),
  });

  // only offered when editing
  const existing = { path: { tenant: tenant.slug, clientId: app?.clientId ?? '' } };
  const regenerate = useApiMutation('regenerateApplicationSecret', {
    onSuccess: (r) => {
      setConfirmRegenerate(false);
      setSecret({ clientId: app!.clientId, name: app!.name, value: r.clientSecret });
    },
  });

  const remove = useApiMutation('deleteApplication', {
    onSuccess: async () => {
      await invalidate();
      void navigate(`/t/${tenant.slug}/applications`);
    },
  });

  const type = useWatch({ control, name: 'type' });

  return (
    <section aria-labelledby="app-title">
      <p className="crumbs">
        <Link to={`/t/${tenant.slug}/applications`}>Applications</Link> /
      </p>
      <h1 id="app-title">{isNew ? 'New application' : app.name}</h1>
      {app?.isSystem ? (
        <p>
          <SystemClientBadge />
        </p>
      ) : null}
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          setFormError(undefined);
          void handleSubmit((f) => save.mutate(f))(e);
        }}
        aria-describedby="form-summary"
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
          <FormCheckGroup
            control={control}
            name="grantTypes"
            label="Grant types"
            groupName="Grant types"
            className="field checks"
            options={GRANT_TYPES.map((g) => ({ value: g, label: GRANT_TYPE_LABELS[g] }))}
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
          <FormCheckbox control={control} name="requirePushedAuthorizationRequests">
            Sign-ins only by pushed authorization request (PAR, request_uri)
          </FormCheckbox>
        </fieldset>

        <PolicyFields control={control} tenant={tenant} />
        <PolicyPreview control={control} tenant={tenant} />

        <GrantFields control={control} servers={servers} />
        <TokenExchangeFields control={control} servers={servers} />

        <fieldset>
          <legend>Sender-constrained tokens (DPoP)</legend>
          <FormCheckbox control={control} name="requireDpop">
            Require a DPoP proof on every token request
          </FormCheckbox>
          <FormCheckbox control={control} name="dpopNonces">
            Require server-issued nonces in DPoP proofs
          </FormCheckbox>
        </fieldset>

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
          {isNew ? null : app.isSystem ? (
            <span className="hint">{systemClientReason(app)}</span>
          ) : (
            <Button variant="danger" onPress={() => setConfirmDelete(true)}>
              Delete application
            </Button>
          )}
          {revoked ? (
            <span role="status">
              Revoked: {counted(revoked.sessions, 'session’s sign-in', 'sessions’ sign-ins')} ended
              ({counted(revoked.sessionsEnded, 'session', 'sessions')} ended whole),{' '}
              {counted(revoked.families, 'refresh-token family', 'refresh-token families')}.
            </span>
          ) : null}
          <FormSummary id="form-summary" control={control} message={formError} />
        </div>
      </form>

      {app ? <IntegrationPanel tenant={tenant} app={app} /> : null}

      <ModalDialog
        isOpen={!!secret}
        onOpenChange={(open) => {
          if (!open) {
            if (secret)
              confirmSaved(
                isNew ? `Created “${secret.name}”` : `Replaced the secret of “${secret.name}”`,
              );
            setSecret(undefined);
            void navigate(`/t/${tenant.slug}/applications/${secret?.clientId ?? ''}`);
          }
        }}
        title="Client secret"
      >
        {secret ? (
          <>
            <p>
              {isNew ? `Created “${secret.name}”. ` : null}Client ID: <code>{secret.clientId}</code>
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
