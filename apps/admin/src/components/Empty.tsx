import type { ReactNode } from 'react';

/** A list's empty state, in words. */
export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}
