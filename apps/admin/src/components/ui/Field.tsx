// A labelled text field over react-aria: its error (from the form's schema or from the API's field
// pointers) sits beneath it and marks it invalid.
import type { ReactNode, Ref } from 'react';
import { FieldError, Input, Label, Text, TextArea, TextField } from 'react-aria-components';

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
  ref?: Ref<HTMLInputElement & HTMLTextAreaElement>;
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
