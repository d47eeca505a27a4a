const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1b1f24}
main{max-width:24rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:1rem 0 .3rem;font-weight:600}
input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #8a9099;border-radius:4px}
input:focus,button:focus{outline:3px solid #1d5fd1;outline-offset:1px}
button{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem;background:#1d5fd1;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{background:#fde8e8;color:#8a1c1c;padding:.7rem;border-radius:4px}
.tenant{color:#4a5160;margin-top:-.5rem}`;

/** A page in the hosted style; the body is trusted HTML built by the caller. */
export function page(title: string, body: string): string {
  return layout(title, body);
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export interface SignInPage {
  action: string;
  applicationName: string;
  /** Whose account the form asks for: the tenant's name and slug (accounts are per tenant). */
  tenant: { name: string; slug: string };
  hidden: Record<string, string>;
  email?: string;
  error?: string;
}

/** The hosted sign-in form: fields named `email` and `password`, CSRF token hidden, errors announced. */
export function signInPage(p: SignInPage): string {
  const hidden = Object.entries(p.hidden)
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`)
    .join('');
  const error = p.error
    ? `<p class="error" role="alert" id="sign-in-error">${escape(p.error)}</p>`
    : '';
  const described = p.error ? ' aria-describedby="sign-in-error"' : '';
  return layout(
    `Sign in to ${p.applicationName}`,
    `<h1>Sign in to ${escape(p.applicationName)}</h1>
<p class="tenant">With your account at ${escape(p.tenant.name)} (${escape(p.tenant.slug)})</p>${error}
<form method="post" action="${escape(p.action)}" novalidate>${hidden}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${escape(p.email ?? '')}"${described}>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<button type="submit">Sign in</button></form>`,
  );
}

/** Shown instead of redirecting when the client or redirect URI cannot be trusted (RFC 6749 §4.1.2.1). */
export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escape(title)}</h1><p role="alert">${escape(message)}</p>`);
}
