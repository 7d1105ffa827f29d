import type { ComponentChildren } from 'preact';
import { useDocumentTitle } from '../ui/feedback';

/** The frame of every signed-out page: brand, one card, one <main>. */
export function AuthLayout({ title, children, intro }: { title: string; intro?: ComponentChildren; children: ComponentChildren }) {
  useDocumentTitle(title);
  return (
    <div class="auth-layout">
      <a class="skip-link" href="#main">
        Skip to main content
      </a>
      <header class="auth-brand">
        <span class="brand-mark" aria-hidden="true" />
        <span class="brand-name">Chorus</span>
      </header>
      <main id="main" tabIndex={-1} class="auth-card">
        <h1>{title}</h1>
        {intro ? <div class="auth-intro">{intro}</div> : null}
        {children}
      </main>
    </div>
  );
}
