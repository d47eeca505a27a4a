export { SignInModule, SIGN_IN_ENTITIES } from './sign-in.module';
// the hosted pages and the tenant's cookies, which the logout pages share
export { clearCookie, readCookie, setCookie, tenantCookies, type TenantCookies } from './cookies';
export { errorPage, page } from './sign-in.page';
