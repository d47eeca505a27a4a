// Thin wrappers over react-aria-components: labelled fields whose errors (from the form's schema
// or from the API's field pointers) sit next to the field, buttons, and a confirm dialog.
import { useState, type ReactNode } from 'react';
import {
  Button as AriaButton,
  Checkbox as AriaCheckbox,
  Dialog,
  FieldError,
  Heading,
  Input,
  Label,
  Modal,
  ModalOverlay,
  Text,
  TextArea,
  TextField,
  type ButtonProps,
} from 'react-aria-components';

export function Button({
  variant = 'secondary',
  className,
  ...props
}: ButtonProps & { variant?: 'primary' | 'secondary' | 'danger' | 'link' }) {
  return <AriaButton {...props} className={`btn btn-${variant} ${String(className ?? '')}`} />;
}

export interface FieldProps {
  label: string;
  description?: ReactNode;
  error?: string;
  value: string;
  onChange: (v: string) => void;
  onBlur?: () => void;
  name?: string;
  type?: 'text' | 'password' | 'email' | 'url' | 'number';
  placeholder?: string;
  isRequired?: boolean;
  isDisabled?: boolean;
  isReadOnly?: boolean;
  multiline?: boolean;
  autoComplete?: string;
  /** react-hook-form's ref, so a failed submit focuses the first invalid field. */
  ref?: React.Ref<HTMLInputElement & HTMLTextAreaElement>;
  disabled?: boolean;
}

/** A labelled text field; `error` (schema or API) shows beneath it and marks it invalid. */
export function Field(p: FieldProps) {
  return (
    <TextField
      className="field"
      name={p.name}
      value={p.value}
      onChange={p.onChange}
      onBlur={p.onBlur}
      type={p.type ?? 'text'}
      isRequired={p.isRequired}
      isDisabled={p.isDisabled ?? p.disabled}
      isReadOnly={p.isReadOnly}
      isInvalid={!!p.error}
      validationBehavior="aria"
      autoComplete={p.autoComplete}
    >
      <Label>{p.label}</Label>
      {p.multiline ? (
        <TextArea ref={p.ref} rows={3} placeholder={p.placeholder} />
      ) : (
        <Input ref={p.ref} placeholder={p.placeholder} />
      )}
      {p.description ? (
        <Text slot="description" className="hint">
          {p.description}
        </Text>
      ) : null}
      <FieldError className="field-error">{p.error}</FieldError>
    </TextField>
  );
}

export function Checkbox(p: {
  children: ReactNode;
  isSelected: boolean;
  onChange: (v: boolean) => void;
  isDisabled?: boolean;
  value?: string;
}) {
  return (
    <AriaCheckbox
      className="checkbox"
      isSelected={p.isSelected}
      onChange={p.onChange}
      isDisabled={p.isDisabled}
      value={p.value}
    >
      <span className="checkbox-box" aria-hidden="true">
        {p.isSelected ? '✓' : ''}
      </span>
      {p.children}
    </AriaCheckbox>
  );
}

export interface SelectProps<V extends string> {
  label: string;
  value: V;
  onChange: (v: V) => void;
  options: Array<{ value: V; label: string }>;
  description?: ReactNode;
  error?: string;
  id: string;
  isDisabled?: boolean;
}

/** A labelled group of checkboxes, one per option; nothing when there is no option. */
export function CheckGroup<V extends string>(p: {
  label: string;
  /** The group's accessible name (the visible label is often shared by several groups). */
  name: string;
  options: Array<{ value: V; label: ReactNode }>;
  selected: readonly V[];
  onToggle: (value: V, on: boolean) => void;
}) {
  if (p.options.length === 0) return null;
  return (
    <div role="group" aria-label={p.name} className="checks">
      <span className="label">{p.label}</span>
      {p.options.map((o) => (
        <Checkbox
          key={o.value}
          isSelected={p.selected.includes(o.value)}
          onChange={(on) => p.onToggle(o.value, on)}
        >
          {o.label}
        </Checkbox>
      ))}
    </div>
  );
}

/** A native select: accessible as it is, and keyboard-friendly on every platform. */
export function Select<V extends string>(p: SelectProps<V>) {
  const hint = p.description ? `${p.id}-hint` : undefined;
  const err = p.error ? `${p.id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={p.id}>{p.label}</label>
      <select
        id={p.id}
        value={p.value}
        disabled={p.isDisabled}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={[hint, err].filter(Boolean).join(' ') || undefined}
        onChange={(e) => p.onChange(e.target.value as V)}
      >
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {p.description ? (
        <span id={hint} className="hint">
          {p.description}
        </span>
      ) : null}
      {p.error ? (
        <span id={err} className="field-error" role="alert">
          {p.error}
        </span>
      ) : null}
    </div>
  );
}

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

/** A message about the whole form or dialog (not one field), announced when it appears. */
export function FormError({ message, id }: { message?: string; id?: string }) {
  return message ? (
    <p id={id} className="error" role="alert">
      {message}
    </p>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <p>{error instanceof Error ? error.message : 'Something went wrong'}</p>
      {retry ? <Button onPress={retry}>Try again</Button> : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

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
