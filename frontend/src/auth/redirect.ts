// Where to send someone after they sign in. Only same-app paths are honoured, so a crafted
// `/login?next=https://evil.example` link cannot bounce a fresh session off-site.

const AUTH_PATHS = ['/login', '/forgot-password', '/reset-password', '/invite'];

export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f]/.test(next)) return '/';
  const path = next.split(/[?#]/)[0] ?? '/';
  if (AUTH_PATHS.some((p) => path === p || path.startsWith(`${p}/`))) return '/';
  return next;
}

export function loginPathFor(wanted: string): string {
  const next = safeNextPath(wanted);
  return next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
}
