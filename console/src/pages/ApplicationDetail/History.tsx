import { useTranslation } from 'react-i18next';
import { Table } from '../../components/Page';
import { fmtTime, Mono } from './common';
import { helmHistory } from './inventory';

/** A HelmRelease's release history, newest first. */
export function HelmHistory({ object }: { object: unknown }) {
  const { t } = useTranslation();
  const history = helmHistory(object);
  if (history.length === 0) return <p className="muted">{t('No Helm history yet')}</p>;
  return (
    <Table data-testid="helm-history">
      <thead>
        <tr>
          <th>{t('Revision')}</th>
          <th>{t('Chart')}</th>
          <th>{t('Chart version')}</th>
          <th>{t('App version')}</th>
          <th>{t('Status')}</th>
          <th>{t('First deployed')}</th>
          <th>{t('Last deployed')}</th>
          <th>{t('Digest')}</th>
        </tr>
      </thead>
      <tbody>
        {history.map((h) => (
          <tr key={h.version} data-testid={`helm-revision-${h.version}`}>
            <td>{h.version}</td>
            <td>{h.chartName ?? '-'}</td>
            <td>{h.chartVersion ?? '-'}</td>
            <td>{h.appVersion ?? '-'}</td>
            <td style={h.status === 'failed' ? { color: '#ca2621' } : undefined}>{h.status ?? '-'}</td>
            <td>{fmtTime(h.firstDeployed)}</td>
            <td>{fmtTime(h.lastDeployed)}</td>
            <td title={h.digest}>
              <Mono>{h.digest ? h.digest.replace(/^sha256:/, '').slice(0, 12) : '-'}</Mono>
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
