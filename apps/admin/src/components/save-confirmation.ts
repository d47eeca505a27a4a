// What the last save changed, said in the console's status line (SaveConfirmation), which stays
// mounted while pages change: a form that leads elsewhere after saving still confirms it.
import { useSyncExternalStore } from 'react';

interface Confirmation {
  message: string;
  at: number;
}

let current: Confirmation | undefined;
const listeners = new Set<() => void>();

function publish(next: Confirmation | undefined) {
  current = next;
  listeners.forEach((l) => l());
}

/** Says that a save succeeded, e.g. `Saved “Orders web”`. */
export function confirmSaved(message: string): void {
  publish({ message, at: Date.now() });
}

export function clearSaved(): void {
  if (current) publish(undefined);
}

export function useSaveConfirmation(): Confirmation | undefined {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
