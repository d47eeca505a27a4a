import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import { ApplicationsService } from '../applications';
import { KeysService, RotationTooEarlyError } from '../keys';
import { Conflict, NotFound } from '../errors';
import { LOGOUT_TOKEN_TTL_SECONDS } from '../logout';
import { ID_TOKEN_TTL_SECONDS } from '../tokens';
import { keyViewSchema, pageQuerySchema, rotateKeysSchema, type KeyView } from '@tessera/contracts';
import { z } from 'zod';
import type { Tenant } from '../tenants';
import { AdminTenantGuard, Caller, TenantParam, type AdminCaller } from './admin-auth.guard';
import { AdminBody, AdminRoute } from './admin-route';

const keyList = z.array(keyViewSchema);

// the kids this server makes (base64url, 16 characters), with room; anything else is no key of ours
const KID_RE = /^[A-Za-z0-9_-]{1,100}$/;

@Controller('admin/api/tenants/:tenant/keys')
@UseGuards(TesseraAuthGuard, AdminTenantGuard)
export class AdminKeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly applications: ApplicationsService,
  ) {}

  @Get()
  @AdminRoute({
    operationId: 'listKeys',
    summary: 'Signing keys and their states',
    scope: 'admin:keys:read',
    query: pageQuerySchema,
    response: keyList,
    paging: { kind: 'keyset', key: (k: KeyView) => `${k.createdAt} ${k.kid}`, order: 'desc' },
  })
  list(@TenantParam() tenant: Tenant): Promise<KeyView[]> {
    return this.keys.list(tenant.id);
  }

  /**
   * next → active, active → retired (still published until its tokens expire), new next. Refused
   * (409) while the next key is too new for validators to have fetched it, unless `force` — for a
   * leaked key, when refusing some tokens briefly is better than signing on.
   */
  @Post('rotate')
  @HttpCode(200)
  @AdminRoute({
    operationId: 'rotateKeys',
    summary: 'Rotate signing keys: next → active → retired',
    scope: 'admin:keys:write',
    body: rotateKeysSchema,
    response: keyList,
    audit: { type: 'admin.keys_rotated', target: 'keys' },
  })
  async rotate(
    @TenantParam() tenant: Tenant,
    @AdminBody() { force }: z.infer<typeof rotateKeysSchema>,
  ): Promise<KeyView[]> {
    try {
      await this.keys.rotate(tenant.id, tenant.signingAlg, await this.longestSignedTtl(tenant), {
        force,
      });
    } catch (err) {
      if (!(err instanceof RotationTooEarlyError)) throw err;
      throw new Conflict(
        `The next key was published too recently for validators to know it; retry in ${err.waitSeconds} s, or force the rotation`,
        [],
        err.waitSeconds,
      );
    }
    return this.keys.list(tenant.id);
  }

  /**
   * A leaked key: out of the JWKS at once, every token it signed refused (sessions stay). The
   * active key is first replaced by the next one, as a forced rotation would.
   */
  @Post(':kid/withdraw')
  @HttpCode(200)
  @AdminRoute({
    operationId: 'withdrawKey',
    summary:
      'Withdraw a leaked key: out of the JWKS at once, every token it signed refused (an active key is replaced first)',
    scope: 'admin:keys:write',
    response: keyList,
    audit: { type: 'admin.key_withdrawn', target: 'key' },
  })
  async withdraw(
    @TenantParam() tenant: Tenant,
    @Param('kid') kid: string,
    @Caller() caller: AdminCaller,
  ): Promise<KeyView[]> {
    const found =
      KID_RE.test(kid) &&
      (await this.keys.withdraw(tenant.id, kid, {
        alg: tenant.signingAlg,
        longestTokenTtl: await this.longestSignedTtl(tenant),
        by: caller.sub,
      }));
    if (!found) throw new NotFound('Key');
    return this.keys.list(tenant.id);
  }

  /** The longest lifetime of any token a key of this tenant signs: access, ID and logout tokens. */
  private async longestSignedTtl(tenant: Tenant): Promise<number> {
    return Math.max(
      await this.applications.longestAccessTtl(tenant),
      ID_TOKEN_TTL_SECONDS,
      LOGOUT_TOKEN_TTL_SECONDS,
    );
  }
}
