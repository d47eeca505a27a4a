import { secondsToDuration } from '@tessera/contracts';
import type { ResourceServer } from './resource-server.entity';

export interface ResourceServerView {
  id: string;
  identifier: string;
  name: string;
  baseUrls: string[];
  scopes: Array<{ name: string; description: string }>;
  permissionGroups: Array<{ name: string; scopes: string[] }>;
  accessTokenTtl: string | null;
  allowsOfflineAccess: boolean;
  /** Its introspection client id, once credentials were issued (never the secret). */
  clientId: string | null;
  isSystem: boolean;
  createdAt: string;
  updatedAt: string;
}

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
