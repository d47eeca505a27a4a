import { Injectable } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import {
  resourceIndicatorProblem,
  TOKEN_EXCHANGE_GRANT,
  type TokenExchangePolicy,
} from '@tessera/contracts';
import { ApplicationsService, type Application } from '../applications';
import { AuditService } from '../audit';
import { Clock } from '../clock';
import {
  InvalidDpopProof,
  InvalidGrant,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  OAuthError,
  UnauthorizedClient,
} from '../errors';
import { isUuid, type Form, type HttpRequest } from '../http';
import { KeysService } from '../keys';
import { ResourceServersService, type ResourceServer } from '../resource-servers';
import { SessionsService } from '../sessions';
import { TenantsService, type Tenant } from '../tenants';
import { AccessTokens, type ActorClaim } from './access-tokens';
import { parseScope } from './scopes';
import type { TokenResponse } from './token-response';
import type { DpopKey } from './dpop';
import { clientContext } from './user-grants';

/** RFC 8693 §3: the only token type exchanged here, in and out. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export type TokenExchangeResponse = TokenResponse & { issued_token_type: string };

/** A presented access token whose signature, expiry and liveness checked out. */
interface LiveToken {
  sub: string;
  clientId: string;
  aud: string[];
  exp: number;
  scopes: string[];
  sid?: string;
  familyId?: string;
  act?: ActorClaim;
  /** RFC 9449 §6: it carries a `cnf` claim, a key binding. */
  bound: boolean;
}

/** How many `act` levels a claim nests (RFC 8693 §4.1); undefined for a malformed one. */
function actDepth(act: unknown): number | undefined {
  let depth = 0;
  for (let a = act; a !== undefined; depth++) {
    if (typeof a !== 'object' || a === null || typeof (a as ActorClaim).sub !== 'string')
      return undefined;
    if (depth >= 10) return undefined;
    a = (a as ActorClaim).act;
  }
  return depth;
}

/**
 * RFC 8693 token exchange between internal services: a confidential application trades the user's
 * access token it was called with for one to another resource server, on the user's behalf.
 *
 * - The issued token keeps the user (`sub`), their session (`sid`) and family (`family_id`): it
 *   dies with them and follows the revocation feed like the subject token; it never outlives it.
 * - `act` names the exchanging client (§4.1), nesting the subject token's own `act` (a chain).
 * - Scopes never widen: requested ∩ the subject's ∩ the application's policy at the target ∩ what
 *   the user holds there now. The subject's scopes belong to its audience; at another target only
 *   the names that target defines carry over, and a name means what that target says it means, so
 *   the user must hold it there (as at every mint of a user grant).
 * - A DPoP-bound subject token is exchanged only with a proof, of the caller's own key, and the
 *   issued token is bound to that key: a bound token never comes out as a Bearer one.
 * - Tessera's built-in APIs are never a target.
 */
@Injectable()
export class TokenExchangeGrant {
  constructor(
    private readonly keys: KeysService,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly resourceServers: ResourceServersService,
    private readonly applications: ApplicationsService,
    private readonly accessTokens: AccessTokens,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Every exchange is audited, issued or refused (the refusal's code, never a token). */
  async issue(
    tenant: Tenant,
    app: Application,
    form: Form,
    req: HttpRequest,
    dpop: DpopKey | null,
  ): Promise<TokenExchangeResponse> {
    const facts: Record<string, unknown> = {};
    let subject: LiveToken | undefined;
    try {
      const response = await this.exchange(tenant, app, form, dpop, facts, (s) => (subject = s));
      await this.record(tenant, app, req, 'token_exchanged', subject, facts);
      return response;
    } catch (err) {
      if (err instanceof OAuthError)
        await this.record(tenant, app, req, 'token_exchange_refused', subject, {
          ...facts,
          error: err.code,
          reason: err.detail,
        });
      throw err;
    }
  }

  private async exchange(
    tenant: Tenant,
    app: Application,
    form: Form,
    dpop: DpopKey | null,
    facts: Record<string, unknown>,
    found: (subject: LiveToken) => void,
  ): Promise<TokenExchangeResponse> {
    // RFC 8693 §2.1: the client authenticates, so a public one cannot exchange
    if (app.type !== 'confidential' || !app.grantTypes.includes(TOKEN_EXCHANGE_GRANT))
      throw new UnauthorizedClient({ detail: `${app.clientId} lacks token exchange` });
    const requestedType = form.get('requested_token_type');
    if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE)
      throw new InvalidRequest({
        description: 'Only access tokens are issued (requested_token_type)',
        detail: 'unsupported requested_token_type',
      });
    const subjectToken = form.get('subject_token');
    if (!subjectToken || form.get('subject_token_type') !== ACCESS_TOKEN_TYPE)
      throw new InvalidRequest({
        description: `subject_token and subject_token_type ${ACCESS_TOKEN_TYPE} are required`,
        detail: 'no subject token of a supported type',
      });
    const actorToken = form.get('actor_token');
    // RFC 8693 §2.1: actor_token_type is required with actor_token and absent without it
    if ((actorToken === undefined) !== (form.get('actor_token_type') === undefined))
      throw new InvalidRequest({
        description: 'actor_token and actor_token_type go together',
        detail: 'actor token without its type, or the reverse',
      });
    if (actorToken !== undefined && form.get('actor_token_type') !== ACCESS_TOKEN_TYPE)
      throw new InvalidRequest({
        description: `actor_token_type must be ${ACCESS_TOKEN_TYPE}`,
        detail: 'unsupported actor_token_type',
      });
    const requested = parseScope(form.get('scope'));
    const policy = app.tokenExchange;

    // any failure of the presented tokens reads the same: no detail on which check refused
    const subject = await this.live(tenant, subjectToken);
    if (!subject) throw new InvalidGrant({ detail: 'subject token not live' });
    found(subject);
    // a user's token only: what is issued must die with a session and family, which a client's
    // own token (client_credentials) has none of; a service acting as itself asks for its own
    if (!subject.sid || !subject.familyId)
      throw new InvalidGrant({ detail: 'subject token of no session' });
    // RFC 9449: a bound token is only usable with its key. The caller cannot prove the user's key
    // (it never holds it), so it proves its own and the issued token is bound to that (below);
    // without a proof, a stolen bound token would come out as a Bearer one
    if (subject.bound && !dpop)
      throw new InvalidDpopProof({
        description: 'A DPoP proof is required to exchange a DPoP-bound token',
        detail: 'bound subject token without a proof',
      });
    if (actorToken !== undefined) {
      const actor = await this.live(tenant, actorToken);
      // the actor token proves who acts; another client's token would let the caller present
      // someone else's identity as the actor (and `act` names the authenticated client anyway)
      if (!actor || actor.clientId !== app.clientId)
        throw new InvalidGrant({ detail: 'actor token not live or not the client’s' });
    }

    const target = await this.chooseTarget(tenant, form, policy);
    facts.resource = target.rs.identifier;
    const depth = actDepth(subject.act);
    if (depth === undefined) throw new InvalidGrant({ detail: 'malformed act claim' });
    facts.depth = depth + 1;
    // RFC 8693 §4.1: the chain is the subject token's; a chain the policy does not allow makes
    // that token unusable by this client, so the grant is refused (invalid_grant), not the request
    if (depth + 1 > (policy?.maxDepth ?? 1))
      throw new InvalidGrant({ detail: 'delegation chain deeper than the policy allows' });

    // the user's permission at the target, read now (not cached), as every user grant's mint does
    const held = isUuid(subject.sub)
      ? await this.resourceServers.currentUserHolds(tenant.id, subject.sub, target.rs)
      : new Set<string>();
    const scopes = this.narrow(requested, subject, target, held);
    facts.scope = scopes.join(' ');

    const ttl = target.rs.accessTokenTtl ?? this.applications.policy(tenant, app).accessTokenTtl;
    // as for client_credentials: a cut of this client's tokens reaches what was issued until the
    // end of its second, so a token minted after it is stamped with the next one
    const now = this.clock.epochSeconds();
    const after = app.tokensIssuedAfter
      ? Math.floor(app.tokensIssuedAfter.getTime() / 1000) + 1
      : now;
    const iat = Math.max(now, after);
    // never later than the subject token's own expiry
    const lifetime = Math.min(ttl, subject.exp - iat);
    if (lifetime <= 0) throw new InvalidGrant({ detail: 'subject token about to expire' });
    const at = await this.accessTokens.mint(tenant, {
      sub: subject.sub,
      clientId: app.clientId,
      aud: target.rs.identifier,
      scopes,
      ttlSeconds: lifetime,
      sid: subject.sid,
      familyId: subject.familyId,
      issuedAt: iat,
      act: subject.act ? { sub: app.clientId, act: subject.act } : { sub: app.clientId },
      // RFC 9449 §5: with the caller's proof the issued token is bound to the caller's key
      jkt: dpop?.jkt,
    });
    facts.jti = at.jti;
    return {
      access_token: at.token,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: dpop ? 'DPoP' : 'Bearer',
      expires_in: at.expiresIn,
      scope: scopes.join(' '),
    };
  }

  /**
   * RFC 8693 §2.1 (and RFC 8707): `resource` and `audience` together name exactly one resource
   * server, one the policy names; without either, the policy's only target.
   */
  private async chooseTarget(
    tenant: Tenant,
    form: Form,
    policy: TokenExchangePolicy | null,
  ): Promise<{ rs: ResourceServer; scopes: Set<string> }> {
    const named = [...new Set([...form.all('resource'), ...form.all('audience')])];
    if (named.length > 1)
      throw new InvalidTarget({
        description: 'Name one resource server per exchange',
        detail: 'several targets',
      });
    if (form.all('resource').some((r) => resourceIndicatorProblem(r) !== undefined))
      throw new InvalidTarget({ detail: 'malformed resource' });
    const targets = policy?.targets ?? [];
    const identifier = named[0] ?? (targets.length === 1 ? targets[0].resourceServer : undefined);
    if (identifier === undefined)
      throw new InvalidTarget({
        description: 'Name the resource server (resource or audience parameter)',
        detail: 'no target named',
      });
    const allowed = targets.find((t) => t.resourceServer === identifier);
    if (!allowed) throw new InvalidTarget({ detail: 'target not permitted' });
    const rs = await this.resourceServers.byIdentifier(tenant.id, identifier);
    if (!rs) throw new InvalidTarget({ detail: 'target resource server gone' });
    // refused when the policy is written too; a policy stored before that check is caught here
    if (rs.isSystem) throw new InvalidTarget({ detail: 'built-in target' });
    // the policy's scopes that the target still defines
    const defined = new Set(rs.scopes.map((s) => s.name));
    return { rs, scopes: new Set(allowed.scopes.filter((s) => defined.has(s))) };
  }

  /**
   * requested ∩ the subject's (carried to the target) ∩ the policy's ∩ what the user holds at the
   * target; never more, never empty.
   */
  private narrow(
    requested: string[] | undefined,
    subject: LiveToken,
    target: { rs: ResourceServer; scopes: Set<string> },
    held: Set<string>,
  ): string[] {
    const defined = new Set(target.rs.scopes.map((s) => s.name));
    const carried = subject.aud.includes(target.rs.identifier)
      ? subject.scopes
      : subject.scopes.filter((s) => defined.has(s));
    const permitted = carried.filter((s) => target.scopes.has(s));
    const allowed = permitted.filter((s) => held.has(s));
    // the log tells a scope the user lacks at the target from one beyond the token or the policy
    const notHeld = () =>
      new InvalidScope({ detail: 'scope the user does not hold at the target' });
    if (requested === undefined) {
      if (allowed.length > 0) return allowed.sort();
      if (permitted.length > 0) throw notHeld();
      throw new InvalidScope({ detail: 'no scope carries over' });
    }
    // a scope asked beyond the subject's or the policy's is refused, not silently dropped: the
    // caller would otherwise act on a token it believes carries more
    if (requested.length === 0 || requested.some((s) => !permitted.includes(s)))
      throw new InvalidScope({ detail: 'scope beyond the subject token or the policy' });
    if (requested.some((s) => !held.has(s))) throw notHeld();
    return [...requested].sort();
  }

  /**
   * An access token of this tenant, signed with its keys, unexpired, and live the way introspection
   * decides it (one statement: SessionsService.areClaimsLive — session, family, jti, client
   * and subject cuts, withdrawn key); undefined otherwise.
   */
  private async live(tenant: Tenant, token: string): Promise<LiveToken | undefined> {
    const signed = await this.keys.verifyOwnSigned(tenant.id, this.tenants.issuer(tenant), token, {
      typ: 'at+jwt',
      nowSeconds: this.clock.epochSeconds(),
    });
    const c: JWTPayload | undefined = signed?.claims;
    if (
      !signed ||
      !c ||
      typeof c.sub !== 'string' ||
      typeof c.jti !== 'string' ||
      typeof c.client_id !== 'string' ||
      typeof c.iat !== 'number' ||
      typeof c.exp !== 'number'
    )
      return undefined;
    if (!(await this.sessions.areClaimsLive(tenant.id, c, signed.kid))) return undefined;
    const sid = typeof c.sid === 'string' ? c.sid : undefined;
    const familyId = typeof c.family_id === 'string' ? c.family_id : undefined;
    const aud = typeof c.aud === 'string' ? [c.aud] : (c.aud ?? []);
    return {
      sub: c.sub,
      clientId: c.client_id,
      aud,
      exp: c.exp,
      scopes: typeof c.scope === 'string' && c.scope ? c.scope.split(' ') : [],
      sid,
      familyId,
      act: c.act as ActorClaim | undefined,
      // any confirmation claim binds (RFC 7800): an unknown kind is not taken for none
      bound: c.cnf !== undefined,
    };
  }

  private async record(
    tenant: Tenant,
    app: Application,
    req: HttpRequest,
    type: 'token_exchanged' | 'token_exchange_refused',
    subject: LiveToken | undefined,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const client = clientContext(req);
    await this.audit.record(undefined, {
      tenantId: tenant.id,
      type,
      clientId: app.clientId,
      userId: subject && isUuid(subject.sub) ? subject.sub : null,
      sessionId: subject?.sid ?? null,
      ip: client.ip,
      userAgent: client.userAgent,
      detail,
    });
  }
}
