import { z } from 'zod';
import {
  CLIENT_TYPES,
  GRANT_FLOWS,
  GRANT_TYPES,
  ON_REUSE,
  POLICY_DURATION_FIELDS,
  applicationIssues,
  clientIdSchema,
  durationSchema,
  policyFields,
  policySchema,
  redirectUriSchema,
  reuseGraceSecondsSchema,
  type CreateApplicationInput,
  type GrantFlow,
  type GrantType,
  type PolicyInput,
  type UpdateApplicationInput,
} from '@tessera/contracts';
import type { Application, ResourceServer, WirePolicy } from '../../api/types';
import { issuesOf } from './policy-preview';
import {
  tokenExchangeFormOf,
  tokenExchangeFormSchema,
  toTokenExchangeInput,
} from './token-exchange-form';

const tri = z.enum(['default', 'on', 'off']);
type Tri = z.infer<typeof tri>;

const lines = (v: string) =>
  v
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** One URI per line, each checked by the contracts' rule; the message names the line. */
const uriLines = z.string().superRefine((v, ctx) => {
  lines(v).forEach((line, i) => {
    const r = redirectUriSchema.safeParse(line);
    if (!r.success)
      ctx.addIssue({ code: 'custom', message: `Line ${i + 1}: ${r.error.issues[0].message}` });
  });
});

const optionalDuration = z.union([z.literal(''), durationSchema]);

/** Seconds as typed; empty follows the tenant. The contracts' rule judges the number. */
const optionalGraceSeconds = z.string().superRefine((v, ctx) => {
  if (v.trim() === '') return;
  const seconds = Number(v);
  if (Number.isNaN(seconds)) {
    ctx.addIssue({ code: 'custom', message: 'Write a number of seconds, e.g. 5' });
    return;
  }
  const r = reuseGraceSecondsSchema.safeParse(seconds);
  if (!r.success) ctx.addIssue({ code: 'custom', message: r.error.issues[0].message });
});

export const grantRowSchema = z.object({
  resourceServer: z.string(),
  isEnabled: z.boolean(),
  scopes: z.array(z.string()),
  permissionGroups: z.array(z.string()),
  flows: z.array(z.enum(GRANT_FLOWS)),
});

export function applicationFormSchema(tenantDefaults: WirePolicy) {
  return z
    .object({
      clientId: z.union([z.literal(''), clientIdSchema]),
      name: z.string().trim().min(1, 'Give the application a name'),
      type: z.enum(CLIENT_TYPES),
      redirectUris: uriLines,
      postLogoutRedirectUris: uriLines,
      backchannelLogoutUri: z.union([z.literal(''), z.url('Must be an absolute URL')]),
      grantTypes: z.array(z.enum(GRANT_TYPES)).min(1, 'Choose at least one grant type'),
      policy: z.object({
        accessTokenTtl: z.union([z.literal(''), policyFields.accessTokenTtl.unwrap()]),
        refreshIdleTtl: optionalDuration,
        refreshAbsoluteTtl: optionalDuration,
        sessionIdleTtl: optionalDuration,
        sessionAbsoluteTtl: optionalDuration,
        sliding: tri,
        rotation: tri,
        reuseGraceSeconds: optionalGraceSeconds,
        onReuse: z.enum(['default', ...ON_REUSE]),
      }),
      grants: z.array(grantRowSchema),
      requirePushedAuthorizationRequests: z.boolean(),
      requireDpop: z.boolean(),
      dpopNonces: z.boolean(),
      tokenExchange: tokenExchangeFormSchema,
    })
    .superRefine((f, ctx) => {
      // the rules the admin API applies, from the contracts
      const app = { type: f.type, grantTypes: f.grantTypes, redirectUris: lines(f.redirectUris) };
      for (const issue of applicationIssues(app))
        ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
      f.grants.forEach((g, i) => {
        if (g.isEnabled && g.flows.length === 0)
          ctx.addIssue({
            code: 'custom',
            path: ['grants', i, 'flows'],
            message: 'Choose at least one flow, or untick the resource server',
          });
      });
      // the same contradictions the server refuses, against the tenant's defaults
      const policy = toPolicyInput(f.policy);
      if (!policy) return;
      for (const issue of issuesOf(f, tenantDefaults, policy))
        ctx.addIssue({ code: 'custom', path: ['policy', issue.path], message: issue.message });
    });
}

export type ApplicationForm = z.infer<ReturnType<typeof applicationFormSchema>>;
export type PolicyForm = ApplicationForm['policy'];

const triValue = (t: Tri) => (t === 'default' ? undefined : t === 'on');
const toTri = (b: boolean | undefined): Tri => (b === undefined ? 'default' : b ? 'on' : 'off');

/** The form's policy strings → the overrides the API takes (empty = the tenant default); undefined while a field is malformed. */
export function toPolicyInput(p: PolicyForm): PolicyInput | undefined {
  const out: PolicyInput = {};
  for (const k of POLICY_DURATION_FIELDS) if (p[k] !== '') out[k] = p[k];
  const sliding = triValue(p.sliding);
  if (sliding !== undefined) out.sliding = sliding;
  const rotation = triValue(p.rotation);
  if (rotation !== undefined) out.rotation = rotation;
  if (p.reuseGraceSeconds.trim() !== '') out.reuseGraceSeconds = Number(p.reuseGraceSeconds);
  if (p.onReuse !== 'default') out.onReuse = p.onReuse;
  // the contracts' policy schema decides what the API would take
  return policySchema.safeParse(out).success ? out : undefined;
}

export function emptyForm(servers: ResourceServer[]): ApplicationForm {
  return {
    clientId: '',
    name: '',
    type: 'confidential',
    redirectUris: '',
    postLogoutRedirectUris: '',
    backchannelLogoutUri: '',
    grantTypes: ['authorization_code', 'refresh_token'],
    policy: {
      accessTokenTtl: '',
      refreshIdleTtl: '',
      refreshAbsoluteTtl: '',
      sessionIdleTtl: '',
      sessionAbsoluteTtl: '',
      sliding: 'default',
      rotation: 'default',
      reuseGraceSeconds: '',
      onReuse: 'default',
    },
    grants: servers.map((rs) => ({
      resourceServer: rs.identifier,
      isEnabled: false,
      scopes: [],
      permissionGroups: [],
      flows: ['user'],
    })),
    requirePushedAuthorizationRequests: false,
    requireDpop: false,
    dpopNonces: false,
    tokenExchange: tokenExchangeFormOf(undefined, servers),
  };
}

export function formOf(app: Application, servers: ResourceServer[]): ApplicationForm {
  const p = app.policy;
  return {
    clientId: app.clientId,
    name: app.name,
    type: app.type,
    redirectUris: app.redirectUris.join('\n'),
    postLogoutRedirectUris: app.postLogoutRedirectUris.join('\n'),
    backchannelLogoutUri: app.backchannelLogoutUri ?? '',
    grantTypes: app.grantTypes as GrantType[],
    policy: {
      accessTokenTtl: p.accessTokenTtl ?? '',
      refreshIdleTtl: p.refreshIdleTtl ?? '',
      refreshAbsoluteTtl: p.refreshAbsoluteTtl ?? '',
      sessionIdleTtl: p.sessionIdleTtl ?? '',
      sessionAbsoluteTtl: p.sessionAbsoluteTtl ?? '',
      sliding: toTri(p.sliding),
      rotation: toTri(p.rotation),
      reuseGraceSeconds: p.reuseGraceSeconds === undefined ? '' : String(p.reuseGraceSeconds),
      onReuse: p.onReuse ?? 'default',
    },
    grants: servers.map((rs) => {
      const g = app.grants.find((x) => x.resourceServer === rs.identifier);
      return {
        resourceServer: rs.identifier,
        isEnabled: !!g,
        scopes: g?.scopes ?? [],
        permissionGroups: g?.permissionGroups ?? [],
        flows: (g?.flows as GrantFlow[] | undefined) ?? ['user'],
      };
    }),
    requirePushedAuthorizationRequests: app.requirePushedAuthorizationRequests,
    requireDpop: app.requireDpop,
    dpopNonces: app.dpopNonces,
    tokenExchange: tokenExchangeFormOf(app, servers),
  };
}

function common(f: ApplicationForm) {
  return {
    name: f.name.trim(),
    redirectUris: lines(f.redirectUris),
    postLogoutRedirectUris: lines(f.postLogoutRedirectUris),
    backchannelLogoutUri: f.backchannelLogoutUri.trim() || null,
    grantTypes: f.grantTypes,
    policy: toPolicyInput(f.policy) ?? {},
    grants: f.grants
      .filter((g) => g.isEnabled)
      .map((g) => ({
        resourceServer: g.resourceServer,
        scopes: g.scopes,
        permissionGroups: g.permissionGroups,
        flows: g.flows,
      })),
    requirePushedAuthorizationRequests: f.requirePushedAuthorizationRequests,
    requireDpop: f.requireDpop,
    dpopNonces: f.dpopNonces,
    tokenExchange: toTokenExchangeInput(f.tokenExchange),
  };
}

export function toCreateInput(f: ApplicationForm): CreateApplicationInput {
  return {
    ...(f.clientId ? { clientId: f.clientId } : {}),
    type: f.type,
    ...common(f),
  };
}

export function toUpdateInput(f: ApplicationForm): UpdateApplicationInput {
  return common(f);
}

/**
 * API pointers → form fields: `/redirectUris/0` → redirectUris, `/grants/1/scopes/0` → the row of
 * the second granted resource server (the API numbers only the ticked ones), and likewise
 * `/tokenExchange/targets/0/scopes/0` → the row of the first ticked exchange target.
 */
export function fieldOfPointer(f: ApplicationForm) {
  const ticked = f.grants.flatMap((g, i) => (g.isEnabled ? [i] : []));
  const targets = f.tokenExchange.targets.flatMap((t, i) => (t.isEnabled ? [i] : []));
  return (pointer: string): string | undefined => {
    const parts = pointer.split('/').slice(1);
    if (!parts.length) return undefined;
    if (parts[0] === 'policy' && parts[1]) return `policy.${parts[1]}`;
    if (parts[0] === 'grants') {
      const row = ticked[Number(parts[1])];
      return row === undefined ? undefined : `grants.${row}`;
    }
    if (parts[0] === 'tokenExchange') {
      if (parts[1] === 'maxDepth') return 'tokenExchange.maxDepth';
      const row = parts[1] === 'targets' ? targets[Number(parts[2])] : undefined;
      // the policy as a whole has no field: the form's message says it
      return row === undefined ? undefined : `tokenExchange.targets.${row}`;
    }
    return parts[0];
  };
}
