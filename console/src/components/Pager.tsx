import { Button } from '@kubed/components';
import { useTranslation } from 'react-i18next';
import { Toolbar } from './Page';

/** Previous / "page of pages" / Next under a server-paged list. */
export function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (page: number) => void }) {
  const { t } = useTranslation();
  return (
    <Toolbar style={{ marginTop: 12, justifyContent: 'flex-end' }}>
      <Button size="sm" variant="outline" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {t('Previous')}
      </Button>
      <span className="muted">
        {page} / {pages}
      </span>
      <Button size="sm" variant="outline" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {t('Next page')}
      </Button>
    </Toolbar>
  );
}
