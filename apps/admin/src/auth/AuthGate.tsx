import { useEffect, useSyncExternalStore, type ReactNode } from 'react';
import { isSignedIn, signIn, subscribe, wasSignedOut } from './oidc';
import { Button } from '../components/ui';

/** Renders its children once signed in; otherwise starts Tessera's sign-in (or offers it after a sign-out). */
export function AuthGate({ children }: { children: ReactNode }) {
  const signedIn = useSyncExternalStore(subscribe, isSignedIn);
  const signedOut = wasSignedOut();
  useEffect(() => {
    if (!signedIn && !signedOut) void signIn();
  }, [signedIn, signedOut]);
  if (signedIn) return <>{children}</>;
  if (signedOut)
    return (
      <main className="center" id="main">
        <h1>Tessera admin</h1>
        <p>You are signed out.</p>
        <Button variant="primary" onPress={() => void signIn('/admin/')}>
          Sign in
        </Button>
      </main>
    );
  return (
    <main className="center" id="main">
      <p role="status">Signing in with Tessera…</p>
    </main>
  );
}
