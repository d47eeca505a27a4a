import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type RevocationType = 'session' | 'family' | 'access_token' | 'user' | 'key' | 'audience';

/** One entry of a tenant's revocation feed; its id is the feed cursor. */
@Entity('revocation_events')
@Index('revocation_events__tenant_id__id', ['tenantId', 'id'])
@Index('revocation_events__tenant_id__jti', ['tenantId', 'jti'])
@Index('revocation_events__tenant_id__sid', ['tenantId', 'sid'])
@Index('revocation_events__tenant_id__sub', ['tenantId', 'sub'])
@Index('revocation_events__tenant_id__family_id', ['tenantId', 'familyId'])
@Index('revocation_events__tenant_id__kid', ['tenantId', 'kid'])
@Index('revocation_events__tenant_id__aud', ['tenantId', 'aud'])
@Index('revocation_events__expires_at', ['expiresAt'])
@Check(
  'revocation_events__type',
  `type IN ('session', 'family', 'access_token', 'user', 'key', 'audience')`,
)
export class RevocationEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid') tenantId: string;
  @Column('text') type: RevocationType;
  @Column('uuid', { nullable: true }) sid: string | null;
  @Column('text', { nullable: true }) jti: string | null;
  @Column('text', { nullable: true }) sub: string | null;
  @Column('text', { nullable: true }) clientId: string | null;
  /** The refresh-token family a `family` event ends; its access tokens carry it as `family_id`. */
  @Column('uuid', { nullable: true }) familyId: string | null;
  /** The signing key a `key` event withdraws: every token whose header names it is dead. */
  @Column('text', { nullable: true }) kid: string | null;
  /** The resource server identifier an `audience` event cuts: every token for it issued until then. */
  @Column('text', { nullable: true }) aud: string | null;
  @Column('text', { nullable: true }) reason: string | null;
  /** Tokens of the named session/subject issued at or before this are dead. */
  @Column('timestamptz', { nullable: true }) notBefore: Date | null;
  /** After this no token it names can still be valid: validators may forget it. */
  @Column('timestamptz') expiresAt: Date;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
}
