import { useState } from 'react';
import { basePath, forgetRealm, isSlug, signIn, SYSTEM_TENANT } from './oidc';
import { Button, Field } from '../components/ui';

/** `/admin` asks which tenant the administrator belongs to; they sign in there. */
export function ChooseTenant(p: { realm?: string; signedOut: boolean; problem?: string }) {
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
