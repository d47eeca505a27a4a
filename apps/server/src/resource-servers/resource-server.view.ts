import { secondsToDuration, type ResourceServerView } from '@tessera/contracts';
import type { ResourceServer } from './resource-server.entity';

export function resourceServerView(rs: ResourceServer): ResourceServerView {
  return {
    id: rs.id,
    identifier: rs.identifier,
    name: rs.name,
    baseUrls: rs.baseUrls,
    scopes: rs.scopes,
    permissionGroups: rs.permissionGroups,
    accessTokenTtl: rs.accessTokenTtl === null ? null : secondsToDuration(rs.accessTokenTtl),
    allowsOfflineAccess: rs.allowsOfflineAccess,
    clientId: rs.clientId,
    isSystem: rs.isSystem,
    createdAt: rs.createdAt.toISOString(),
    updatedAt: rs.updatedAt.toISOString(),
  };
}
