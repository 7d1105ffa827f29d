import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Me } from '../api/types';
import { session } from '../auth/session';
import { SECTIONS, SHELL_ROUTES, canOpen } from './routes';

/** The signed-in frame: header with organisation, user and sign-out; navigation by role; <main>. */
export function Shell({ me, path, navPath = path, children }: { me: Me; path: string; navPath?: string; children: ComponentChildren }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After client-side navigation, move focus to the new content so keyboard and screen-reader
  // users start there (as they would after a full page load), and close the mobile menu.
  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [path]);

  // Escape closes the open menu. Listening from the first render on, rather than from the
  // effect after the menu opens, means an Escape pressed right after opening it is not lost.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setMenuOpen(false);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  async function signOut() {
    setSigningOut(true);
    await session.signOut(); // the guard then routes to /login
  }

  const sections = SECTIONS.map((section) => ({
    ...section,
    routes: SHELL_ROUTES.filter((r) => r.section === section.id && !r.hidden && canOpen(r, me)),
  })).filter((s) => s.routes.length > 0);

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to main content
      </a>
      <header class="topbar">
        <a class="topbar-brand" href="/">
          <span class="brand-mark" aria-hidden="true" />
          <span class="brand-name">Chorus</span>
          <span class="visually-hidden"> — home</span>
        </a>
        <span class="org-name" title={me.organisation.name}>
          {me.organisation.name}
        </span>
        <button
          type="button"
          class="button button-ghost menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          {menuOpen ? 'Close menu' : 'Menu'}
        </button>
        <div class="topbar-user">
          <span class="user-name" title={me.email}>
            {me.display_name}
          </span>
          <button type="button" class="button button-secondary button-small" onClick={signOut} disabled={signingOut}>
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      </header>
      <div class="shell-body">
        <nav id="primary-nav" aria-label="Main" class={menuOpen ? 'sidenav is-open' : 'sidenav'}>
          {/* On narrow screens the top bar has no room for these; the open menu shows them. */}
          <p class="nav-account">
            <span class="nav-account-name">{me.display_name}</span>
            <span class="muted">{me.organisation.name}</span>
          </p>
          {sections.map((section) => (
            <div class="nav-section" key={section.id}>
              <h2 class="nav-heading" id={`nav-${section.id}`}>
                {section.label}
              </h2>
              <ul aria-labelledby={`nav-${section.id}`}>
                {section.routes.map((route) => (
                  <li key={route.path}>
                    <a href={route.path} class="nav-link" aria-current={route.path === navPath ? 'page' : undefined}>
                      {route.label}
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" ref={mainRef} tabIndex={-1} class="content">
          {children}
        </main>
      </div>
    </div>
  );
}
