import { useState } from 'react';
import { Button } from './ui';

/** Copies a value shown once (client secrets) and says so. */
export function SecretOnce({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<boolean>();
  return (
    <div className="secret">
      <p>
        <strong>{label}</strong> — shown this once; store it now. Tessera keeps only a hash.
      </p>
      <code aria-label={label}>{value}</code>
      <Button
        onPress={() =>
          void navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        Copy
      </Button>{' '}
      <span role="status">
        {copied === true
          ? 'Copied.'
          : copied === false
            ? 'Copying was refused: select it instead.'
            : ''}
      </span>
    </div>
  );
}
