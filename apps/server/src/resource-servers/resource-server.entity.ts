import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export interface ScopeDef {
  name: string;
  description: string;
}
export interface PermissionGroupDef {
  name: string;
  scopes: string[];
}

@Entity('resource_servers')
@Index('resource_servers__tenant_id__identifier', ['tenantId', 'identifier'], { unique: true })
@Index('resource_servers__tenant_id__client_id', ['tenantId', 'clientId'], { unique: true })
export class ResourceServer {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  /** Absolute URI; the `aud` of its access tokens (RFC 8707). */
  @Column('text') identifier: string;
  @Column('text') name: string;
  @Column('jsonb') baseUrls: string[];
  @Column('jsonb') scopes: ScopeDef[];
  @Column('jsonb') permissionGroups: PermissionGroupDef[];
  @Column('integer', { nullable: true }) accessTokenTtl: number | null;
  @Column('boolean', { default: true }) allowsOfflineAccess: boolean;
  /** Its own credentials at the introspection endpoint (RFC 7662 §2.1); the secret only as an HMAC. */
  @Column('text', { nullable: true }) clientId: string | null;
  @Column('bytea', { nullable: true }) secretHash: Buffer | null;
  /** Built in (the admin API, the account API): not editable through the admin API. */
  @Column('boolean', { default: false }) isSystem: boolean;
  /** Every user of the tenant holds all its scopes (an API acting only on the caller's own account). */
  @Column('boolean', { default: false }) heldByEveryUser: boolean;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { default: () => 'now()' }) updatedAt: Date;
}

/**
 * An application's access to one resource server: which of its scopes and groups the application
 * may ask for, in which flows. The table keeps its first name, `application_grants`, as does the
 * admin API's `grants` field; in the code "grant" means an OAuth grant type only.
 */
@Entity('application_grants')
@Index(
  'application_grants__application_id__resource_server_id',
  ['applicationId', 'resourceServerId'],
  { unique: true },
)
export class ApplicationAccess {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') tenantId: string;
  @Column('uuid') applicationId: string;
  @Column('uuid') resourceServerId: string;
  @Column('jsonb') scopes: string[];
  @Column('jsonb') permissionGroups: string[];
  /** `user` (authorization code and refresh) and/or `client_credentials`. */
  @Column('jsonb') flows: string[];
}

/** Permission groups and single scopes a user holds at one resource server. */
@Entity('user_permissions')
export class UserPermission {
  @Column('uuid') tenantId: string;
  @PrimaryColumn('uuid') userId: string;
  @PrimaryColumn('uuid') resourceServerId: string;
  @Column('jsonb') scopes: string[];
  @Column('jsonb') permissionGroups: string[];
}
