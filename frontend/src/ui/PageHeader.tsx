import type { ComponentChildren } from 'preact';
import { useDocumentTitle } from './feedback';

/** The view's single <h1>, its document title, and optional actions beside it. */
export function PageHeader({ title, description, actions }: { title: string; description?: ComponentChildren; actions?: ComponentChildren }) {
  useDocumentTitle(title);
  return (
    <div class="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p class="page-description">{description}</p> : null}
      </div>
      {actions ? <div class="page-actions">{actions}</div> : null}
    </div>
  );
}
