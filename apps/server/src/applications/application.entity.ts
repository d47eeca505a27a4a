import type { TokenExchangePolicy } from '@tessera/contracts';
import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('applications')
@Index('applications__tenant_id__client_id', ['tenantId', 'clientId'], { unique: true })
@Check('applications__type', `type IN ('confidential', 'public')`)
@Check('applications__secret', `(type = 'confidential') = (secret_hash IS NOT NULL)`)
export class Application {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('text') clientId: string;
  @Column('text') name: string;
  @Column('text') type: 'confidential' | 'public';
  /** HMAC-SHA256 of the secret under the server's token key; the secret itself is shown once. */
  @Column('bytea', { nullable: true }) secretHash: Buffer | null;
  @Column('jsonb') redirectUris: string[];
  @Column('jsonb') postLogoutRedirectUris: string[];
  @Column('text', { nullable: true }) backchannelLogoutUri: string | null;
  @Column('jsonb') grantTypes: string[];
  @Column('uuid', { nullable: true }) defaultResourceServerId: string | null;
  // policy overrides in seconds; null = the tenant's default
  @Column('integer', { nullable: true }) accessTokenTtl: number | null;
  @Column('integer', { nullable: true }) refreshIdleTtl: number | null;
  @Column('integer', { nullable: true }) refreshAbsoluteTtl: number | null;
  @Column('integer', { nullable: true }) sessionIdleTtl: number | null;
  @Column('integer', { nullable: true }) sessionAbsoluteTtl: number | null;
  @Column('boolean', { nullable: true }) isSliding: boolean | null;
  @Column('boolean', { nullable: true }) isRotating: boolean | null;
  @Column('integer', { nullable: true }) reuseGraceSeconds: number | null;
  @Column('text', { nullable: true }) onReuse: 'revoke-session' | 'revoke-family' | null;
  /** Authenticates nowhere and starts no sign-in; what it held ended when it was disabled. */
  @Column('boolean', { default: false }) isDisabled: boolean;
  /**
   * Its client_credentials tokens are stamped after this, the last cut of its client's tokens
   * (RevocationService.clientCutOff, which reaches what was issued until the end of that second),
   * so a cut never reaches a token minted after it, however soon. Null: never cut.
   */
  @Column('timestamptz', { nullable: true }) tokensIssuedAfter: Date | null;
  /** RFC 9449: token requests without a DPoP proof are refused. */
  @Column('boolean', { default: false }) requireDpop: boolean;
  /** RFC 9449 §8: every DPoP proof must carry a nonce this server issued. */
  @Column('boolean', { default: false }) dpopNonces: boolean;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { default: () => 'now()' }) updatedAt: Date;
  /** RFC 9126 §6: its authorization requests come only by request_uri, from its pushed requests. */
  @Column('boolean', { default: false }) requirePushedAuthorizationRequests: boolean;
  /** RFC 8693: the resource servers and scopes it may exchange a user's token for; null: none. */
  @Column('jsonb', { nullable: true }) tokenExchange: TokenExchangePolicy | null;
}
