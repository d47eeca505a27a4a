import type { RouteObject } from 'react-router';
import { AuthGate } from './auth/AuthGate';
import CallbackPage from './auth/CallbackPage';
import { Layout } from './components/Layout';
import { Loading } from './components/Loading';
import { NotFound } from './components/NotFound';

/** Pages load lazily; each module's default export is its page. */
const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({
  Component: (await load()).default,
});

export const routes: RouteObject[] = [
  { path: '/callback', Component: CallbackPage },
  {
    path: '/',
    element: (
      <AuthGate>
        <Layout />
      </AuthGate>
    ),
    children: [
      { index: true, element: null },
      { path: 'tenants', lazy: page(() => import('./pages/tenants/TenantsPage')) },
      { path: 'tenants/new', lazy: page(() => import('./pages/tenants/NewTenantPage')) },
      {
        path: 't/:tenant',
        // shown in the layout while the first page's code loads (the router warns without one)
        hydrateFallbackElement: <Loading what="the page" />,
        children: [
          { index: true, lazy: page(() => import('./pages/OverviewPage')) },
          { path: 'overview', lazy: page(() => import('./pages/OverviewPage')) },
          { path: 'sessions', lazy: page(() => import('./pages/sessions/SessionsPage')) },
          { path: 'sessions/:id', lazy: page(() => import('./pages/sessions/SessionPage')) },
          {
            path: 'history',
            lazy: page(() => import('./pages/sessions/SessionHistoryPage')),
          },
          {
            path: 'applications',
            lazy: page(() => import('./pages/applications/ApplicationsPage')),
          },
          {
            path: 'applications/new',
            lazy: page(() => import('./pages/applications/ApplicationFormPage')),
          },
          {
            path: 'applications/:clientId',
            lazy: page(() => import('./pages/applications/ApplicationFormPage')),
          },
          {
            path: 'resource-servers',
            lazy: page(() => import('./pages/resource-servers/ResourceServersPage')),
          },
          {
            path: 'resource-servers/new',
            lazy: page(() => import('./pages/resource-servers/ResourceServerFormPage')),
          },
          {
            path: 'resource-servers/:id',
            lazy: page(() => import('./pages/resource-servers/ResourceServerFormPage')),
          },
          { path: 'users', lazy: page(() => import('./pages/users/UsersPage')) },
          { path: 'users/:id', lazy: page(() => import('./pages/users/UserPage')) },
          { path: 'keys', lazy: page(() => import('./pages/keys/KeysPage')) },
          { path: 'audit', lazy: page(() => import('./pages/audit/AuditPage')) },
          { path: 'settings', lazy: page(() => import('./pages/settings/TenantSettingsPage')) },
          { path: '*', Component: NotFound },
        ],
      },
      { path: '*', Component: NotFound },
    ],
  },
];
