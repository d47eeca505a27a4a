/** A message about the whole form or dialog (not one field), announced when it appears. */
export function FormError({ message, id }: { message?: string; id?: string }) {
  return message ? (
    <p id={id} className="error" role="alert">
      {message}
    </p>
  ) : null;
}
