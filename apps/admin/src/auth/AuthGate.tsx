import { useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import {
  basePath,
  forgetRealm,
  isSignedIn,
  isSlug,
  rememberedRealm,
  signIn,
  subscribe,
  SYSTEM_TENANT,
  wasSignedOut,
} from './oidc';
import { Button, Field } from '../components/ui';

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
      <ChooseTenant
        realm={realm}
        signedOut={signedOut}
        problem={hasFailed ? failed?.message : undefined}
      />
    );
  return (
    <main className="center" id="main">
      <p role="status">Signing in at {realm}…</p>
    </main>
  );
}

/** `/admin` asks which tenant the administrator belongs to; they sign in there. */
function ChooseTenant(p: { realm?: string; signedOut: boolean; problem?: string }) {
  const [slug, setSlug] = useState(p.realm ?? '');
  const [error, setError] = useState<string | undefined>(p.problem);
  const go = (to: string) => {
    if (!isSlug(to)) {
      setError('Use the tenant’s short name: lower-case letters, digits and hyphens, e.g. acme');
      return;
    }
    signIn(to, `${basePath}/t/${to}/overview`).catch((err: Error) => setError(err.message));
  };
  return (
    <main className="center" id="main">
      <h1>Tessera admin</h1>
      {p.signedOut ? <p>You are signed out.</p> : null}
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          go(slug.trim());
        }}
      >
        <Field
          label="Tenant"
          name="tenant"
          value={slug}
          onChange={(v) => {
            setSlug(v);
            setError(undefined);
          }}
          error={error}
          description="You sign in with your account in the tenant you administer."
          autoComplete="organization"
        />
        <Button type="submit" variant="primary">
          Sign in
        </Button>
      </form>
      <p>
        <Button
          variant="link"
          onPress={() => {
            forgetRealm();
            go(SYSTEM_TENANT);
          }}
        >
          Sign in as a Tessera administrator (system)
        </Button>
      </p>
    </main>
  );
}
