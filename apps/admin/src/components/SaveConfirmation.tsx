import { useEffect } from 'react';
import { useLocation } from 'react-router';
import { clearSaved, useSaveConfirmation } from './save-confirmation';
import './form-kit.css';

// the page a save leads to loads within this; a later move to another page ends the message
const LEADS_TO_MS = 3000;

/** The status line where saves confirm (a live region: screen readers say it too). */
export function SaveConfirmation() {
  const saved = useSaveConfirmation();
  const { pathname } = useLocation();
  useEffect(() => {
    if (saved && Date.now() - saved.at > LEADS_TO_MS) clearSaved();
    // only a change of page ends it
    // eslint-disable-next-line react-hooks/exhaustive-deps -- saved is read, not watched
  }, [pathname]);
  return (
    <p className="save-confirmation" role="status">
      {saved ? <span>✓ {saved.message}</span> : null}
    </p>
  );
}
