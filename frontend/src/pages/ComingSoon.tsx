import { EmptyState } from '../ui/feedback';
import { PageHeader } from '../ui/PageHeader';

/** An honest placeholder for a section that is specified but not built yet. */
export function ComingSoon({ title, description }: { title: string; description: string }) {
  return (
    <>
      <PageHeader title={title} />
      <section class="card">
        <EmptyState title="Coming soon">
          <p>{description}</p>
          <p class="muted">This part of Chorus is not built yet, so there is nothing to show here.</p>
        </EmptyState>
      </section>
    </>
  );
}
