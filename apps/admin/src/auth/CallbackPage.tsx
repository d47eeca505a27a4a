import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { basePath, completeSignIn, forgetRealm } from './oidc';
import { Button } from '../components/ui/Button';

// the code is single-use: one exchange per page load, even when React runs effects twice
let exchange: Promise<string> | undefined;

export default function CallbackPage() {
  const navigate = useNavigate();
  const [error, setError] = useState<string>();
  useEffect(() => {
    exchange ??= completeSignIn(window.location.search);
    exchange.then(
      (to) => navigate(to.slice(basePath.length) || '/', { replace: true }),
      (err: Error) => setError(err.message),
    );
  }, [navigate]);
  return (
    <main className="center" id="main">
      {error ? (
        <>
          <h1>Sign-in did not complete</h1>
          <p role="alert">{error}</p>
          <Button
            variant="primary"
            onPress={() => {
              exchange = undefined;
              forgetRealm();
              window.location.assign(`${basePath}/`);
            }}
          >
            Start again
          </Button>
        </>
      ) : (
        <p role="status">Finishing sign-in…</p>
      )}
    </main>
  );
}
