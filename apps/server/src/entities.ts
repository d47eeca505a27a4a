import { ADMIN_ENTITIES } from './admin';
import { APPLICATIONS_ENTITIES } from './applications';
import { AUDIT_ENTITIES } from './audit';
import { KEYS_ENTITIES } from './keys';
import { RATE_LIMIT_ENTITIES } from './rate-limit';
import { RESOURCE_SERVERS_ENTITIES } from './resource-servers';
import { REVOCATION_ENTITIES } from './revocation';
import { SECRETS_ENTITIES } from './secrets';
import { SESSIONS_ENTITIES } from './sessions';
import { SIGN_IN_ENTITIES } from './sign-in';
import { SHARED_SIGNALS_ENTITIES } from './shared-signals';
import { TENANTS_ENTITIES } from './tenants';
import { TOKENS_ENTITIES } from './tokens';
import { USERS_ENTITIES } from './users';

/**
 * Every table of the server, as the modules that own them list them: the one list the app's data
 * sources and the schema-drift test are built with. It lives here, at the top, because the
 * database kit below imports no feature.
 */
export const ENTITIES = [
  ...SECRETS_ENTITIES,
  ...TENANTS_ENTITIES,
  ...KEYS_ENTITIES,
  ...RESOURCE_SERVERS_ENTITIES,
  ...APPLICATIONS_ENTITIES,
  ...USERS_ENTITIES,
  ...ADMIN_ENTITIES,
  ...SESSIONS_ENTITIES,
  ...RATE_LIMIT_ENTITIES,
  ...AUDIT_ENTITIES,
  ...REVOCATION_ENTITIES,
  ...SIGN_IN_ENTITIES,
  ...TOKENS_ENTITIES,
  ...SHARED_SIGNALS_ENTITIES,
];
