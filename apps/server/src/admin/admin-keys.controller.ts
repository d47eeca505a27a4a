import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { TesseraAuthGuard } from '@tessera/nest-guards';
import { ApplicationsService } from '../applications';
import { KeysService, RotationTooEarlyError } from '../keys';
import { Conflict, NotFound } from '../errors';
import { parseBody } from '../http';
import { LOGOUT_TOKEN_TTL_SECONDS } from '../logout';
import { ID_TOKEN_TTL_SECONDS } from '../tokens';
import { rotateKeysSchema, type KeyView } from '@tessera/contracts';
import type { Tenant } from '../tenants';
import {
  AdminTenantGuard,
  Caller,
  RequireScopes,
  TenantParam,
  type AdminCaller,
} from './admin-auth.guard';

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
  @RequireScopes('admin:keys:read')
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
  @RequireScopes('admin:keys:write')
  async rotate(@TenantParam() tenant: Tenant, @Body() body: unknown): Promise<KeyView[]> {
    const { force } = parseBody(rotateKeysSchema, body);
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
  @RequireScopes('admin:keys:write')
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
