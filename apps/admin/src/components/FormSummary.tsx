// Beside a form's save button: what stopped the last save. Cleared as soon as the fields are
// right again, and by a successful save.
import { useFormState, type Control, type FieldValues } from 'react-hook-form';
import { errorPaths } from './use-console-form';
import './form-kit.css';

export function FormSummary<T extends FieldValues>(p: {
  control: Control<T>;
  /** The API's answer when it concerns no one field (or names a field the form does not show). */
  message?: string;
  id?: string;
}) {
  const { errors, submitCount } = useFormState({ control: p.control });
  const hasFieldErrors = errorPaths(errors).length > 0;
  return (
    <span id={p.id} className="form-summary" role="alert">
      {p.message ? <span className="error">{p.message}</span> : null}
      {submitCount > 0 && hasFieldErrors ? (
        <span className="error">Fix the fields marked above to save.</span>
      ) : null}
    </span>
  );
}
