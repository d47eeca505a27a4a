import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One sign-in of one user in one browser: shared by every application it signs in (its surfaces). */
@Entity('sessions')
@Index('sessions__cookie_hash', ['cookieHash'], { unique: true })
@Index('sessions__tenant_id__last_seen_at', ['tenantId', 'lastSeenAt'])
@Index('sessions__tenant_id__user_id', ['tenantId', 'userId'])
@Index('sessions__absolute_expires_at', ['absoluteExpiresAt'])
@Index('sessions__revoked_at', ['revokedAt'])
@Index('sessions__tenant_id__revoked_at', ['tenantId', 'revokedAt'])
export class Session {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('uuid') userId: string;
  /** HMAC of the session cookie's value. */
  @Column('bytea') cookieHash: Buffer;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { default: () => 'now()' }) lastSeenAt: Date;
  @Column('timestamptz') authTime: Date;
  @Column('timestamptz') idleExpiresAt: Date;
  @Column('timestamptz') absoluteExpiresAt: Date;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('text', { nullable: true }) userAgent: string | null;
  @Column('timestamptz', { nullable: true }) revokedAt: Date | null;
  @Column('text', { nullable: true }) revocationReason: string | null;
  /** Who ended it: the administrator's subject, or the user's when they signed out; null: the server. */
  @Column('text', { nullable: true }) revokedBy: string | null;
}

@Entity('session_surfaces')
@Index('session_surfaces__application_id', ['applicationId'])
export class SessionSurface {
  @PrimaryColumn('uuid') sessionId: string;
  @PrimaryColumn('uuid') applicationId: string;
  @Column('uuid') tenantId: string;
  @Column('timestamptz', { default: () => 'now()' }) firstSeenAt: Date;
  @Column('timestamptz', { default: () => 'now()' }) lastSeenAt: Date;
}

export interface FamilyResource {
  resourceServerId: string;
  identifier: string;
  scopes: string[];
}

/** One sign-in of one application inside a session: the line of its rotating refresh tokens. */
@Entity('refresh_token_families')
@Index('refresh_token_families__session_id', ['sessionId'])
@Index('refresh_token_families__absolute_expires_at', ['absoluteExpiresAt'])
@Index('refresh_token_families__revoked_at', ['revokedAt'])
export class RefreshTokenFamily {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('uuid') sessionId: string;
  @Column('uuid') applicationId: string;
  @Column('uuid') userId: string;
  /** OpenID scopes granted at sign-in (openid, email, offline_access…). */
  @Column('jsonb') scopes: string[];
  /** Resources granted at sign-in, each with its scopes (RFC 8707 §2.2: refreshes may down-scope). */
  @Column('jsonb') resources: FamilyResource[];
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz') absoluteExpiresAt: Date;
  @Column('timestamptz', { nullable: true }) revokedAt: Date | null;
  @Column('text', { nullable: true }) revocationReason: string | null;
  /** RFC 9449 §5: the thumbprint of the DPoP key a public client's refresh tokens are bound to. */
  @Column('text', { nullable: true }) dpopJkt: string | null;
}

@Entity('refresh_tokens')
@Index('refresh_tokens__token_hash', ['tokenHash'], { unique: true })
@Index('refresh_tokens__parent_id', ['parentId'], { unique: true })
@Index('refresh_tokens__family_id', ['familyId'])
export class RefreshToken {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('uuid') familyId: string;
  @Column('bytea') tokenHash: Buffer;
  @Column('integer') generation: number;
  @Column('uuid', { nullable: true }) parentId: string | null;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz') idleExpiresAt: Date;
  /** Set by the rotation that consumed it: a row flag, not a timestamp comparison, decides reuse. */
  @Column('timestamptz', { nullable: true }) usedAt: Date | null;
  @Column('integer', { default: 0 }) graceReplays: number;
}

@Entity('authorization_codes')
@Index('authorization_codes__code_hash', ['codeHash'], { unique: true })
@Index('authorization_codes__expires_at', ['expiresAt'])
export class AuthorizationCode {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('bytea') codeHash: Buffer;
  @Column('uuid') applicationId: string;
  @Column('uuid') sessionId: string;
  @Column('uuid') userId: string;
  @Column('text') redirectUri: string;
  /** OpenID scopes granted (openid, email…). */
  @Column('jsonb') scopes: string[];
  /** Resources granted, each with its scopes; the family inherits them. */
  @Column('jsonb') resources: FamilyResource[];
  @Column('text', { nullable: true }) nonce: string | null;
  @Column('text', { nullable: true }) codeChallenge: string | null;
  @Column('timestamptz') authTime: Date;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz') expiresAt: Date;
  @Column('timestamptz', { nullable: true }) usedAt: Date | null;
  /** The family its redemption started: revoked if the code comes back (RFC 6749 §4.1.2). */
  @Column('uuid', { nullable: true }) familyId: string | null;
}
