/** Previous/next links for an offset-paginated list; pages are 1-based and live in `?page=`. */
export function Pagination({ basePath, page, pageSize, total }: { basePath: string; page: number; pageSize: number; total: number }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages <= 1 && page <= 1) return null;
  const href = (p: number) => (p <= 1 ? basePath : `${basePath}?page=${p}`);
  return (
    <nav class="pagination" aria-label="Pagination">
      {page > 1 ? (
        <a class="button button-secondary button-small" href={href(Math.min(page - 1, pages))} rel="prev">
          Previous<span class="visually-hidden"> page</span>
        </a>
      ) : (
        <span class="button button-secondary button-small is-disabled" aria-disabled="true">
          Previous<span class="visually-hidden"> page</span>
        </span>
      )}
      <span class="pagination-status">
        Page {page} of {pages}
      </span>
      {page < pages ? (
        <a class="button button-secondary button-small" href={href(page + 1)} rel="next">
          Next<span class="visually-hidden"> page</span>
        </a>
      ) : (
        <span class="button button-secondary button-small is-disabled" aria-disabled="true">
          Next<span class="visually-hidden"> page</span>
        </span>
      )}
    </nav>
  );
}
