// Response shapes of the admin API as the console reads them: the server's views, shared through
// @tessera/contracts so both sides are checked against one definition. Request bodies are the
// contracts' zod types.
import type { PolicyInput } from '@tessera/contracts';

export type {
  ApplicationView as Application,
  AuditView as AuditEvent,
  CreatedApplicationView as CreatedApplication,
  DeliveryView as Delivery,
  EndedSessionView as EndedSession,
  EndedSignInsView as EndedSignIns,
  GrantView as Grant,
  KeyView as SigningKey,
  OverviewView as Overview,
  RefreshFamilyView as RefreshFamily,
  RefreshTokenView as RefreshToken,
  ResourceServerView as ResourceServer,
  SessionDetailView as SessionDetail,
  SessionPageView as SessionPage,
  SessionView as Session,
  TenantAdminView as TenantAdmin,
  TenantView as Tenant,
  UserPermissionView as UserPermission,
  UserView as User,
} from '@tessera/contracts';

export type WirePolicy = Required<PolicyInput>;

/** RFC 9457 problem details, as every admin API error answers. */
export interface ProblemBody {
  type: string;
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ pointer: string; detail: string }>;
}
