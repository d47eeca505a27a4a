import type { SigningKey } from '../../api/types';

/** What withdrawing this key does, in words, before it is done. */
export function WithdrawConsequences({ target }: { target: SigningKey }) {
  return (
    <>
      <p>
        Key <code>{target.kid}</code> leaves the published keys at once. Every token it signed stops
        working: introspection refuses its access tokens now, APIs following the revocation feed
        within about a second, others once they refetch the keys; its ID tokens no longer verify.
      </p>
      <p>
        Sessions stay signed in: applications get tokens signed by another key at their next
        refresh.
      </p>
      {target.state === 'active' ? (
        <p>
          The next key becomes active now, as a forced rotation: validators that have not fetched it
          yet refuse new tokens until they do. Do this for a leaked key.
        </p>
      ) : null}
    </>
  );
}
