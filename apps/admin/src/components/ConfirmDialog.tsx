import type { ReactNode } from 'react';
import { FormError } from './FormError';
import { Button, ModalDialog } from './ui';

/** Says in words what a destructive action will do, and does it only on confirmation. */
export function ConfirmDialog(p: {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  isPending?: boolean;
  error?: string;
}) {
  return (
    <ModalDialog isOpen={p.isOpen} onOpenChange={p.onOpenChange} title={p.title} role="alertdialog">
      <div className="dialog-body">{p.children}</div>
      <FormError message={p.error} />
      <div className="actions">
        <Button onPress={() => p.onOpenChange(false)}>Cancel</Button>
        <Button variant="danger" onPress={p.onConfirm} isDisabled={p.isPending} autoFocus>
          {p.isPending ? 'Working…' : p.confirmLabel}
        </Button>
      </div>
    </ModalDialog>
  );
}
