import { SetMetadata } from '@nestjs/common';

export const PUBLIC_KEY = 'tessera:public';
export const ALL_SCOPES_KEY = 'tessera:scopes:all';
export const ANY_SCOPE_KEY = 'tessera:scopes:any';

/** The route needs every one of these scopes. */
export const RequireScopes = (...scopes: string[]) => SetMetadata(ALL_SCOPES_KEY, scopes);
/** The route needs at least one of these scopes. */
export const RequireAnyScope = (...scopes: string[]) => SetMetadata(ANY_SCOPE_KEY, scopes);
/** The route needs no token. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
