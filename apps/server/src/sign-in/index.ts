export { SignInModule } from './sign-in.module';
// the end-session endpoint answers with the same cookies and pages as the sign-in it undoes
export { clearCookie, readCookie, setCookie, tenantCookies } from './cookies';
export { errorPage, page } from './sign-in.page';
