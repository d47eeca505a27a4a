import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EffectiveRateLimits } from '@tessera/contracts';

@Entity('tenants')
@Index('tenants__slug', ['slug'], { unique: true })
@Check('tenants__signing_alg', `signing_alg IN ('ES256', 'EdDSA')`)
@Check('tenants__on_reuse', `on_reuse IN ('revoke-session', 'revoke-family')`)
export class Tenant {
  @PrimaryColumn('uuid') id: string;
  @Column('text') slug: string;
  @Column('text') name: string;
  @Column('text') signingAlg: 'ES256' | 'EdDSA';
  // tenant-wide policy defaults, in seconds; applications override them
  @Column('integer') accessTokenTtl: number;
  @Column('integer') refreshIdleTtl: number;
  @Column('integer') refreshAbsoluteTtl: number;
  @Column('integer') sessionIdleTtl: number;
  @Column('integer') sessionAbsoluteTtl: number;
  @Column('boolean') isSliding: boolean;
  @Column('boolean') isRotating: boolean;
  @Column('integer') reuseGraceSeconds: number;
  @Column('text') onReuse: 'revoke-session' | 'revoke-family';
  // the rules this tenant overrides, in seconds; the others follow DEFAULT_RATE_LIMITS
  @Column('jsonb', { default: () => "'{}'" }) rateLimits: Partial<EffectiveRateLimits>;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { default: () => 'now()' }) updatedAt: Date;
  /** Deleted: its issuer is gone; its rows stay until its last token has expired, then are purged. */
  @Column('timestamptz', { nullable: true }) deletedAt: Date | null;
  /**
   * Until when an access token minted under a lifetime since shortened may live: kept by the
   * database alone (migration 1765400000000), read by the SQL that writes revocation events. Never
   * loaded, so a tenant saved from a stale copy leaves it as it is (an unset property is not written).
   */
  @Column('timestamptz', { nullable: true, select: false })
  accessTokensLiveUntil?: Date | null;
}
