import { PageHeader } from '../ui/PageHeader';

export function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <section class="card">
        <p>There is no page at this address. It may have moved, or the link may be mistyped.</p>
        <p>
          <a href="/">Go to your home page</a>
        </p>
      </section>
    </>
  );
}

export function Forbidden() {
  return (
    <>
      <PageHeader title="You do not have access to this page" />
      <section class="card">
        <p>This page is for people with a different role. If you think you should have access, ask a Chorus administrator in your organisation.</p>
        <p>
          <a href="/">Go to your home page</a>
        </p>
      </section>
    </>
  );
}
