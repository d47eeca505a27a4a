import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Who may administer a tenant: a principal (`sub`) of the system tenant. Membership of `system` means every tenant. */
@Entity('tenant_admins')
export class TenantAdmin {
  @PrimaryColumn('uuid') tenantId: string;
  @PrimaryColumn('text') subject: string;
  @Column('timestamptz', { default: () => 'now()' }) createdAt: Date;
}
