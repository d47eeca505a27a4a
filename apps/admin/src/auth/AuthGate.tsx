import { lazy, Suspense, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { Loading } from '../components/Loading';
import {
  forgetRealm,
  isSignedIn,
  isSlug,
  rememberedRealm,
  signIn,
  subscribe,
  SYSTEM_TENANT,
  wasSignedOut,
} from './oidc';

// signed-in pages never show it: it loads (with its form field) only when asked for
const ChooseTenant = lazy(() =>
  import('./ChooseTenant').then((m) => ({ default: m.ChooseTenant })),
);

/**
 * Where to sign in for this page: a tenant's administrators are its own users and sign in at its
 * issuer; administrators of `system` (remembered from their last sign-in) may open any tenant.
 */
function realmFor(pathname: string): string | undefined {
  const remembered = rememberedRealm();
  const tenant = /^\/t\/([^/]+)/.exec(pathname)?.[1];
  if (!tenant || !isSlug(tenant)) return remembered;
  return remembered === SYSTEM_TENANT || remembered === tenant ? remembered : tenant;
}

/** Renders its children once signed in; otherwise starts the right tenant's sign-in, or asks which. */
export function AuthGate({ children }: { children: ReactNode }) {
  const signedIn = useSyncExternalStore(subscribe, isSignedIn);
  const { pathname } = useLocation();
  const realm = realmFor(pathname);
  const signedOut = wasSignedOut();
  const [failed, setFailed] = useState<{ realm: string; message: string }>();
  const hasFailed = failed?.realm === realm;
  useEffect(() => {
    if (signedIn || signedOut || !realm || hasFailed) return;
    signIn(realm).catch((err: Error) => {
      if (rememberedRealm() === realm) forgetRealm(); // a tenant gone since: ask again
      setFailed({ realm, message: err.message });
    });
  }, [signedIn, signedOut, realm, hasFailed]);
  if (signedIn) return <>{children}</>;
  if (signedOut || !realm || hasFailed)
    return (
      <Suspense fallback={<Loading what="the sign-in page" />}>
        <ChooseTenant
          realm={realm}
          signedOut={signedOut}
          problem={hasFailed ? failed?.message : undefined}
        />
      </Suspense>
    );
  return (
    <main className="center" id="main">
      <p role="status">Signing in at {realm}…</p>
    </main>
  );
}
