import './SystemClientBadge.css';

/** Marks a client Tessera itself uses (the console's, the automation client). */
export function SystemClientBadge() {
  return <span className="badge system">System client</span>;
}
