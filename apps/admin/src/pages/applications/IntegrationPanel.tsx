import { useId, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { Application, Tenant } from '../../api/types';
import { tenantMetadata } from '../../auth/oidc';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { Button } from '../../components/ui';
import {
  discoveryUrl,
  ENDPOINTS,
  flowsLabel,
  guardsSnippet,
  openidClientSnippet,
  spaSnippet,
  type Discovery,
} from './integration';
import './IntegrationPanel.css';

/** Values an integrator copies by hand, each in a row headed by its label. */
function Facts({ label, rows }: { label: string; rows: Array<[string, string]> }) {
  return (
    <table className="facts" aria-label={label}>
      <tbody>
        {rows.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>
              <code>{value}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A configuration to copy, in a block that scrolls inside itself on a narrow screen. */
function Snippet({ title, code, note }: { title: string; code: string; note?: string }) {
  const id = useId();
  const [copied, setCopied] = useState<boolean>();
  const copy = () => {
    // absent outside a secure context, whatever the DOM types say
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) return setCopied(false);
    clipboard.writeText(code).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <section className="snippet" aria-labelledby={id}>
      <div className="snippet-head">
        <h4 id={id}>{title}</h4>
        <Button onPress={copy} aria-label={`Copy ${title}`}>
          Copy
        </Button>
        <span role="status" className="hint">
          {copied === true ? 'Copied' : copied === false ? 'Copying was refused: select it.' : ''}
        </span>
      </div>
      {note ? <p className="hint">{note}</p> : null}
      <pre tabIndex={0} role="group" aria-label={`${title}: code`}>
        <code>{code}</code>
      </pre>
    </section>
  );
}

/**
 * What an integrator needs to connect this application: the tenant's issuer and discovery URL,
 * the endpoints as the discovery document lists them, what the application may ask for, and
 * configurations for common clients (never with a secret).
 */
export function IntegrationPanel({ tenant, app }: { tenant: Tenant; app: Application }) {
  const discovery = useQuery({
    queryKey: ['discovery', tenant.slug],
    queryFn: () => tenantMetadata(tenant.slug) as Promise<Discovery>,
    staleTime: 60_000,
  });
  const d: Discovery = discovery.data ?? { issuer: tenant.issuer };
  const isPublic = app.type === 'public';
  const signsIn = app.grantTypes.includes('authorization_code');

  return (
    <section className="integration" aria-labelledby="integration-title">
      <h2 id="integration-title">Integration</h2>
      <p className="hint">What a developer needs to connect {app.name} to Tessera.</p>
      <Facts
        label="Issuer and client"
        rows={[
          ['Issuer', d.issuer],
          ['Discovery URL', discoveryUrl(tenant.issuer)],
          ['Client ID', app.clientId],
          [
            'Client authentication',
            isPublic
              ? 'none (public client: PKCE proves the sign-in)'
              : 'client_secret_basic or client_secret_post',
          ],
        ]}
      />

      <h3>Endpoints</h3>
      {discovery.isPending ? (
        <Loading what="the discovery document" />
      ) : discovery.isError ? (
        <ErrorState error={discovery.error} retry={() => void discovery.refetch()} />
      ) : (
        <Facts
          label="Endpoints"
          rows={ENDPOINTS.filter(([key]) => d[key]).map(([key, label]) => [label, d[key]!])}
        />
      )}

      <h3>Allowed resources and scopes</h3>
      {app.grants.length === 0 ? (
        <p className="hint">
          No resource server is granted: its tokens carry only the OpenID scopes (openid, email).
        </p>
      ) : (
        <ul className="grants" aria-label="Allowed resources and scopes">
          {app.grants.map((g) => (
            <li key={g.resourceServer}>
              <code>{g.resourceServer}</code>
              {g.resourceServer === app.defaultResource ? (
                <span className="hint"> (default resource)</span>
              ) : null}
              <br />
              Scopes:{' '}
              {g.scopes.length ? (
                g.scopes.map((s, i) => (
                  <span key={s}>
                    {i ? ', ' : null}
                    <code>{s}</code>
                  </span>
                ))
              ) : (
                <span className="hint">none</span>
              )}
              {g.permissionGroups.length ? (
                <> · permission groups: {g.permissionGroups.join(', ')}</>
              ) : null}
              <br />
              <span className="hint">For {flowsLabel(g.flows)}.</span>
            </li>
          ))}
        </ul>
      )}

      <h3>Configuration</h3>
      <p className="hint">
        {isPublic
          ? 'A public client has no secret.'
          : `The client secret is never shown here: it is shown once, when the application is created or the secret regenerated. The snippets read it from TESSERA_CLIENT_SECRET.`}
      </p>
      <Snippet title="openid-client (Node)" code={openidClientSnippet(app, d.issuer)} />
      {signsIn && isPublic ? (
        <Snippet
          title="Browser SPA with PKCE"
          code={spaSnippet(app, d)}
          note="Served from another origin than Tessera, the SPA exchanges the code through its own backend: the token endpoint answers no cross-origin requests."
        />
      ) : signsIn ? (
        <p className="hint">
          A browser SPA cannot keep a secret: give it its own public application (code with PKCE).
        </p>
      ) : null}
      <Snippet
        title="NestJS API with @tessera/nest-guards"
        code={guardsSnippet(app, d.issuer)}
        note="For the API that accepts this application’s tokens."
      />
    </section>
  );
}
