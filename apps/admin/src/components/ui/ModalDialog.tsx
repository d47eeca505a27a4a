import type { ReactNode } from 'react';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';

/** A modal dialog (focus trapped and restored by react-aria). */
export function ModalDialog(p: {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  children: ReactNode;
  role?: 'dialog' | 'alertdialog';
}) {
  return (
    <ModalOverlay
      className="modal-overlay"
      isOpen={p.isOpen}
      onOpenChange={p.onOpenChange}
      isDismissable={p.role !== 'alertdialog'}
    >
      <Modal className="modal">
        <Dialog role={p.role ?? 'dialog'} className="dialog">
          <Heading slot="title">{p.title}</Heading>
          {p.children}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
