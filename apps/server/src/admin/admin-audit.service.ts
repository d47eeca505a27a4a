import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuditChange, AuditParty } from '@tessera/contracts';
import { DataSource } from 'typeorm';
import { ApplicationsService } from '../applications';
import { AuditService, type AdminChangeType } from '../audit';
import { APP_CONFIG, type AppConfig } from '../config';
import { isUuid, type HttpRequest } from '../http';
import { KeysService } from '../keys';
import { ResourceServersService, resourceServerView } from '../resource-servers';
import { Tenant, tenantView } from '../tenants';
import { UsersService } from '../users';
import type { AdminCaller } from './tenant-access.service';

/** What an administrative change is about. `administrator`: a user or application named by id. */
export type AuditTargetKind =
  | 'tenant'
  | 'administrator'
  | 'application'
  | 'resource_server'
  | 'user'
  | 'keys'
  | 'key'
  | 'session';

/** The audit event an admin route records after it succeeded. */
export interface AdminAuditSpec {
  type: AdminChangeType;
  target: AuditTargetKind;
  /** Where the target's id is; by default the path parameter of its kind (`:clientId`, `:id`…). */
  id?: { param: string } | { body: string } | { response: string /* a dotted path */ };
  /** Recorded in the log of the caller's own tenant: a deleted tenant's log goes with it. */
  log?: 'actor';
  /** Fields the change replaced whose values are never recorded (a secret, a password). */
  secrets?: string[];
}

const DEFAULT_PARAM: Record<AuditTargetKind, string> = {
  tenant: 'tenant',
  administrator: 'subject',
  application: 'clientId',
  resource_server: 'id',
  user: 'id',
  keys: 'tenant',
  key: 'kid',
  session: 'id',
};

/** Never recorded, whatever the route: secrets, passwords, their hashes, tokens. */
const SECRET_FIELD = /secret|password|hash|^(access|refresh|id)?token$/i;
/** What changes on every write and says nothing of the change. */
const NOISE = new Set(['createdAt', 'updatedAt', 'effectivePolicy', 'issuer']);

interface Snapshot {
  name: string | null;
  fields: Record<string, unknown>;
}

type Fields = Record<string, unknown>;

interface AuditedRequest extends HttpRequest {
  adminCaller?: AdminCaller;
  tenant?: Tenant;
}

/** Before the handler: the target as it was. */
export interface PendingAudit {
  spec: AdminAuditSpec;
  id: string | null;
  before: Snapshot | null;
}

/**
 * Records administrative changes: who (the caller), what (the target's kind, id and name) and the
 * fields changed, old → new, from the target read before and after the change. Values of secret
 * fields are never recorded, only that they changed.
 */
@Injectable()
export class AdminAudit {
  private readonly logger = new Logger(AdminAudit.name);

  constructor(
    private readonly audit: AuditService,
    private readonly dataSource: DataSource,
    private readonly applications: ApplicationsService,
    private readonly users: UsersService,
    private readonly resourceServers: ResourceServersService,
    private readonly keys: KeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async before(spec: AdminAuditSpec, req: AuditedRequest): Promise<PendingAudit> {
    const id = idOf(spec, req, undefined);
    const creates = spec.type.endsWith('_created');
    const before = id && !creates ? await this.snapshot(spec.target, req, id) : null;
    return { spec, id, before };
  }

  async after(pending: PendingAudit, req: AuditedRequest, result: unknown): Promise<void> {
    const { spec } = pending;
    const caller = req.adminCaller;
    if (!caller) return;
    const id = pending.id ?? idOf(spec, req, result);
    const deletes = spec.type.endsWith('_deleted');
    const after = id && !deletes ? await this.snapshot(spec.target, req, id) : null;
    const changes = diff(pending.before?.fields ?? {}, after?.fields ?? {});
    for (const field of [...(spec.secrets ?? []), ...secretBodyFields(req.body)])
      if (!changes.some((c) => c.field === field)) changes.push({ field, isSecret: true });
    const detail: Record<string, unknown> = { changes };
    const reason = (req.body as { reason?: unknown } | undefined)?.reason;
    if (typeof reason === 'string') detail.reason = reason;
    const outcome = counts(result);
    if (outcome) detail.outcome = outcome;
    const target: AuditParty | null = id
      ? {
          kind: targetKind(spec.target, id),
          id,
          name: after?.name ?? pending.before?.name ?? null,
        }
      : null;
    await this.audit.record(undefined, {
      tenantId: spec.log === 'actor' ? caller.tenant.id : (req.tenant ?? caller.tenant).id,
      type: spec.type,
      actor: { sub: caller.sub, tenantId: caller.tenant.id, name: await this.nameOf(caller) },
      target,
      userId: target?.kind === 'user' ? target.id : null,
      ip: req.ip ?? null,
      userAgent: headerOf(req, 'user-agent'),
      detail,
    });
  }

  /** For display: a user's email, an application's client id. */
  private async nameOf(caller: AdminCaller): Promise<string> {
    if (!isUuid(caller.sub)) return caller.sub;
    return (await this.users.byId(caller.tenant.id, caller.sub))?.email ?? caller.sub;
  }

  private async snapshot(
    kind: AuditTargetKind,
    req: AuditedRequest,
    id: string,
  ): Promise<Snapshot | null> {
    try {
      return await this.read(kind, req, id);
    } catch (err) {
      // a target that is not there (the handler answers 404) or not readable: recorded without
      this.logger.debug(`no ${kind} ${id} to audit: ${String(err)}`);
      return null;
    }
  }

  private async read(
    kind: AuditTargetKind,
    req: AuditedRequest,
    id: string,
  ): Promise<Snapshot | null> {
    const tenant = req.tenant;
    switch (kind) {
      case 'tenant': {
        const t = await this.dataSource.getRepository(Tenant).findOneBy({ slug: id });
        if (!t || t.deletedAt) return null;
        const { id: _id, ...fields } = tenantView(t, this.config.publicUrl);
        return { name: t.name, fields };
      }
      case 'administrator':
        if (!tenant) return null;
        if (isUuid(id)) {
          const user = await this.users.byId(tenant.id, id);
          return user
            ? { name: user.email, fields: { administrator: user.roles.includes('admin') } }
            : null;
        }
        return {
          name: id,
          fields: {
            administrator:
              (
                await this.dataSource.query(
                  'SELECT 1 FROM tenant_admins WHERE tenant_id = $1 AND subject = $2',
                  [tenant.id, id],
                )
              ).length > 0,
          },
        };
      case 'application': {
        if (!tenant) return null;
        const app = await this.applications.byClientId(tenant.id, id);
        if (!app) return null;
        const { clientId: _c, ...fields } = await this.applications.view(tenant, app);
        return { name: app.name, fields };
      }
      case 'resource_server': {
        if (!tenant || !isUuid(id)) return null;
        const rs = await this.resourceServers.byId(tenant.id, id);
        if (!rs) return null;
        const { id: _id, ...fields } = resourceServerView(rs);
        return { name: rs.name, fields };
      }
      case 'user': {
        if (!tenant || !isUuid(id)) return null;
        const user = await this.users.byId(tenant.id, id);
        if (!user) return null;
        return {
          name: user.email,
          fields: {
            email: user.email,
            roles: user.roles,
            isDisabled: user.isDisabled,
            permissions: await this.users.permissions(tenant.id, id),
          },
        };
      }
      case 'keys': {
        if (!tenant) return null;
        const keys = await this.keys.list(tenant.id);
        return {
          name: 'Signing keys',
          fields: Object.fromEntries(keys.map((k) => [`key ${k.kid}`, k.state])),
        };
      }
      case 'key': {
        if (!tenant) return null;
        const key = (await this.keys.list(tenant.id)).find((k) => k.kid === id);
        return key ? { name: key.kid, fields: { state: key.state } } : null;
      }
      case 'session': {
        if (!tenant || !isUuid(id)) return null;
        const [row] = (await this.dataSource.query(
          `SELECT u.email, s.revoked_at FROM sessions s LEFT JOIN users u ON u.id = s.user_id
           WHERE s.tenant_id = $1 AND s.id = $2`,
          [tenant.id, id],
        )) as Array<{ email: string | null; revoked_at: Date | string | null }>;
        if (!row) return null;
        return {
          name: row.email,
          fields: { isRevoked: row.revoked_at !== null },
        };
      }
    }
  }
}

function idOf(spec: AdminAuditSpec, req: AuditedRequest, result: unknown): string | null {
  const where = spec.id ?? { param: DEFAULT_PARAM[spec.target] };
  const source: unknown =
    'param' in where
      ? req.params?.[where.param]
      : 'body' in where
        ? (req.body as Record<string, unknown> | undefined)?.[where.body]
        : where.response
            .split('.')
            .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], result);
  return typeof source === 'string' ? source : null;
}

function targetKind(kind: AuditTargetKind, id: string): string {
  if (kind === 'administrator') return isUuid(id) ? 'user' : 'application';
  return kind;
}

/** Plain objects are compared field by field (`policy.sessionIdleTtl`), anything else whole. */
function flatten(fields: Fields, prefix = ''): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k) || (!prefix && NOISE.has(k))) continue;
    const name = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flatten(v as Fields, `${name}.`));
    else out[name] = v;
  }
  return out;
}

function diff(before: Fields, after: Fields): AuditChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const changes: AuditChange[] = [];
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[field]) === JSON.stringify(b[field])) continue;
    const change: AuditChange = { field };
    if (field in a) change.from = a[field];
    if (field in b) change.to = b[field];
    changes.push(change);
  }
  return changes;
}

function secretBodyFields(body: unknown): string[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  return Object.keys(body).filter((k) => SECRET_FIELD.test(k));
}

/** What an action answered it ended (`{ ended: 3 }`): numbers only, never a secret. */
function counts(result: unknown): Record<string, number> | null {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return null;
  const entries = Object.entries(result).filter(([, v]) => typeof v === 'number');
  return entries.length ? (Object.fromEntries(entries) as Record<string, number>) : null;
}

function headerOf(req: HttpRequest, name: string): string | null {
  const v = (req.headers as Record<string, string | string[] | undefined>)[name];
  return typeof v === 'string' ? v : null;
}
