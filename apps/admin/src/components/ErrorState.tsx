import { Button } from './ui/Button';

/** A page's or section's error state, with a retry when the caller has one. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <p>{error instanceof Error ? error.message : 'Something went wrong'}</p>
      {retry ? <Button onPress={retry}>Try again</Button> : null}
    </div>
  );
}
