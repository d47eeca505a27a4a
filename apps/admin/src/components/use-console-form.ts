// Every console form is made here, so every form follows one rule: a field's error shows once the
// field has been changed and left, or after a save attempt; it goes as soon as the value is right,
// even when another field was what made it wrong.
import { useEffect, useRef, useState } from 'react';
import {
  useController,
  useForm,
  type Control,
  type ControllerFieldState,
  type DefaultValues,
  type FieldErrors,
  type FieldPath,
  type FieldValues,
  type Resolver,
  type UseFormReturn,
} from 'react-hook-form';

export function useConsoleForm<T extends FieldValues>(p: {
  resolver: Resolver<T>;
  defaultValues: DefaultValues<T>;
}): UseFormReturn<T> {
  const form = useForm<T>({
    resolver: p.resolver,
    defaultValues: p.defaultValues,
    // checked when left, then at each change; after a save attempt, at each change
    mode: 'onTouched',
    reValidateMode: 'onChange',
  });
  const { watch, trigger } = form;
  const errors = useRef(form.formState.errors);
  errors.current = form.formState.errors;
  useEffect(() => {
    // react-hook-form re-checks only the field that changed: a rule between two fields (an idle
    // lifetime above the absolute one) would keep its message after the other field fixed it
    const sub = watch(() => {
      const stale = errorPaths(errors.current).filter((e) => e.type !== 'server');
      if (stale.length) void trigger(stale.map((e) => e.path as FieldPath<T>));
    });
    return () => sub.unsubscribe();
  }, [watch, trigger]);
  return form;
}

/** Every error in a react-hook-form error tree, with its dotted path. */
export function errorPaths(
  errors: FieldErrors,
  at = '',
): Array<{ path: string; type: string; message: string }> {
  const out: Array<{ path: string; type: string; message: string }> = [];
  for (const [key, value] of Object.entries(errors ?? {})) {
    if (!value || typeof value !== 'object' || key === 'ref') continue;
    const path = at ? `${at}.${key}` : key;
    const e = value as { message?: unknown; type?: unknown };
    if (typeof e.message === 'string' && typeof e.type === 'string')
      out.push({ path, type: e.type, message: e.message });
    else out.push(...errorPaths(value as FieldErrors, path));
  }
  return out;
}

/** The first message in an error or beneath it (a list field's error may sit on one item). */
export function messageOf(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { message?: unknown };
  if (typeof e.message === 'string' && e.message) return e.message;
  for (const [key, value] of Object.entries(error)) {
    if (key === 'ref') continue;
    const m = messageOf(value);
    if (m) return m;
  }
  return undefined;
}

/**
 * A field of a console form: its value and handlers, and its error only once it should show — the
 * API's at once; the schema's after the field was changed and left, or after a save attempt made
 * while the field was there (a row added after it stays unmarked until it is touched).
 */
export function useFormControl<T extends FieldValues>(
  control: Control<T>,
  name: FieldPath<T>,
  options: { isChoice?: boolean } = {},
) {
  const { field, fieldState, formState } = useController({ control, name });
  const [bornAt] = useState(formState.submitCount);
  const [isEdited, setEdited] = useState(false);
  const onChange = (value: unknown) => {
    setEdited(true);
    field.onChange(value);
    // a tick or a choice is complete when made: it counts as changed and left
    if (options.isChoice) field.onBlur();
  };
  return {
    field: { ...field, onChange },
    error: shownError(fieldState, formState.submitCount > bornAt, isEdited),
  };
}

function shownError(state: ControllerFieldState, isSubmitted: boolean, isEdited: boolean) {
  const e = state.error;
  if (!e) return undefined;
  const isShown = e.type === 'server' || isSubmitted || (state.isTouched && isEdited);
  return isShown ? messageOf(e) : undefined;
}
