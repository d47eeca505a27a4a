import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Who administers a tenant: a principal (`sub`) **of that tenant** — a user holding the `admin`
 * role, or a client given the right. Administrators of `system` administer every tenant.
 */
@Entity('tenant_admins')
export class TenantAdmin {
  @PrimaryColumn('uuid') tenantId: string;
  @PrimaryColumn('text') subject: string;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
}
