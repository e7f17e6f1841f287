/**
 * Where a host source is distributed (its `distribute-to` / `distribute-selector` annotations)
 * and how its copy fares in each member cluster: Ready, message and revision there.
 */
import { useTranslation } from 'react-i18next';
import { useSourceClusters } from '../../api/hooks';
import { obj } from '../../api/json';
import { ErrorNote, Table } from '../../components/Page';
import { StateTag, targetState } from '../../components/StateTag';
import { ServerText } from '../../i18n/server';
import { ClusterLink } from '../Clusters/ClusterLink';
import { Mono, Panel } from '../ApplicationDetail/common';

export const DISTRIBUTE_TO = 'fluxcd.kubesphere.io/distribute-to';
export const DISTRIBUTE_SELECTOR = 'fluxcd.kubesphere.io/distribute-selector';

/** Whether a source's metadata asks for it to be distributed. */
export function isDistributed(metadata: unknown): boolean {
  const a = obj(obj(metadata).annotations);
  return DISTRIBUTE_TO in a || DISTRIBUTE_SELECTOR in a;
}

/** The hint, with the annotation names kept as written. */
function Hint() {
  const { t } = useTranslation();
  const text = t(
    'To distribute this source, annotate it with {{to}} (member cluster names separated by commas, or *) or {{selector}} (a label selector of member clusters); ksflux copies it and its Secrets to each of them.',
    { to: DISTRIBUTE_TO, selector: DISTRIBUTE_SELECTOR },
  );
  return (
    <p className="muted" style={{ fontSize: 12, marginTop: 0 }} data-testid="source-distribution-hint">
      {text.split(/(fluxcd\.kubesphere\.io\/distribute-(?:to|selector))/).map((part, i) =>
        i % 2 ? (
          <code key={i} translate="no">
            {part}
          </code>
        ) : (
          part
        ),
      )}
    </p>
  );
}

export function Distribution({
  resource,
  namespace,
  name,
  metadata,
}: {
  resource: string;
  namespace: string;
  name: string;
  metadata: unknown;
}) {
  const { t } = useTranslation();
  const clusters = useSourceClusters(resource, namespace, name);
  const rows = clusters.data ?? [];
  if (!isDistributed(metadata) && rows.length === 0) return null;
  return (
    <Panel data-testid="source-distribution">
      <h2>{t('Distributed to clusters')}</h2>
      <Hint />
      <ErrorNote error={clusters.error} />
      <Table>
        <thead>
          <tr>
            <th>{t('Cluster')}</th>
            <th>{t('State')}</th>
            <th>{t('Revision')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.cluster} data-testid={`source-cluster-${r.cluster}`}>
              <td>
                <ClusterLink name={r.cluster} />
              </td>
              <td>
                <StateTag state={r.ready === 'Unknown' ? 'unknown' : targetState(r.ready)} title={r.reason} />
                {r.message && (
                  <div className="muted" style={{ fontSize: 12 }}>
                    <ServerText text={r.message} />
                  </div>
                )}
              </td>
              <td>
                <Mono translate="no">{r.revision || '–'}</Mono>
              </td>
            </tr>
          ))}
          {rows.length === 0 && !clusters.isLoading && (
            <tr>
              <td colSpan={3} className="muted" style={{ textAlign: 'center' }}>
                {t('No member cluster matches yet.')}
              </td>
            </tr>
          )}
        </tbody>
      </Table>
    </Panel>
  );
}
