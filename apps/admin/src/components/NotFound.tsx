/** Any path the console has no page for. */
export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>There is no page here.</p>
    </section>
  );
}
