import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** RFC 9126: an authorization request a client pushed, until its request_uri is used or expires. */
@Entity('pushed_authorization_requests')
@Index('pushed_authorization_requests__request_uri_hash', ['requestUriHash'], { unique: true })
@Index('pushed_authorization_requests__expires_at', ['expiresAt'])
export class PushedAuthorizationRequest {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('uuid') applicationId: string;
  /** HMAC-SHA256 of the request_uri's random part under the server's token key; never the value. */
  @Column('bytea') requestUriHash: Buffer;
  /** The request's parameters as pushed and validated: [name, values] pairs. */
  @Column('jsonb') params: Array<[string, string[]]>;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  /** The request_uri's expiry; once it is used, its sign-in form's deadline. */
  @Column('timestamptz') expiresAt: Date;
  /** Set by the one authorization request that used it (single use). */
  @Column('timestamptz', { nullable: true }) usedAt: Date | null;
  /** Set by the one sign-in that issued a code for it: its sign-in form is refused after that. */
  @Column('timestamptz', { nullable: true }) completedAt: Date | null;
}
