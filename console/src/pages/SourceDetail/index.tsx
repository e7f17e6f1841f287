/**
 * One Flux source: where it fetches from, its status conditions, its artifact (revision,
 * digest, size, last update), the revisions it fetched (the history ksflux keeps from Flux's
 * events), and the applications built from it. The cluster is `?cluster=` (default the host).
 */
import { Loading } from '@kubed/components';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { ApiError, HOST } from '../../api/client';
import { useApplications, useKinds, useObject } from '../../api/hooks';
import { useObjectHistory } from '../../api/history';
import { obj, str } from '../../api/json';
import { kindLabel } from '../../api/kinds';
import { useTo } from '../../app/base';
import { ErrorNote, Page, Table } from '../../components/Page';
import { StateTag, targetState } from '../../components/StateTag';
import { credentialType, ServerReason, ServerText } from '../../i18n/server';
import { fmtTime, Mono, Panel } from '../ApplicationDetail/common';
import { TargetChips } from '../Applications';
import { ClusterLink } from '../Clusters/ClusterLink';
import { kindOf, refLabels, sourceKinds } from '../Sources/kinds';
import { APPLICATION_SOURCE_KINDS, applicationsUsing, artifactOf, conditionsOf, formatSize, refOf } from './model';
import { Facts } from '../../components/Facts';
import { Distribution } from './Distribution';

const Columns = styled.div`
  display: grid;
  grid-template-columns: 1fr 1fr;
  gap: 16px;
  align-items: start;
`;

/** Where a source fetches from, as one line. */
function whereFrom(kind: string, spec: unknown): string {
  const s = obj(spec);
  if (kind === 'HelmChart') {
    const src = obj(s.sourceRef);
    return `${str(s.chart)} (${str(src.kind)}/${str(src.name)})`;
  }
  if (kind === 'Bucket') return `${str(s.endpoint)}/${str(s.bucketName)}`;
  return str(s.url);
}

export default function SourceDetail() {
  const to = useTo();
  const { t } = useTranslation();
  const params = useParams();
  const [search] = useSearchParams();
  const cluster = search.get('cluster') || HOST;
  const namespace = params.namespace ?? '';
  const name = params.name ?? '';
  const kinds = useKinds();
  const kind = kindOf(sourceKinds(kinds.data?.items ?? []), params.kind);
  const plural = kind?.plural ?? '';
  const source = useObject(plural, cluster, namespace, name);
  const history = useObjectHistory(plural, cluster, namespace, name);
  const usable = !!kind && cluster === HOST && APPLICATION_SOURCE_KINDS.includes(kind.kind);
  const apps = useApplications(namespace, { limit: 500, sortBy: 'name', ascending: true });

  const listPath = kind ? `/sources/${kind.plural}` : '/sources';
  const back = (
    <Link to={to(listPath)} style={{ fontSize: 12, fontWeight: 400, marginRight: 8 }}>
      {kind ? kindLabel(t, kind.kind, 'plural') : t('Sources')}
    </Link>
  );
  const title = (
    <>
      {back}
      <span translate="no">{name}</span>
    </>
  );

  if (kinds.data && !kind) {
    return (
      <Page title={name} documentTitle={[name, t('Sources')]}>
        <Panel role="alert" data-testid="not-found">
          <p>{t('No such source kind: {{kind}}', { kind: params.kind ?? '' })}</p>
          <Link to={to('/sources')}>{t('Sources')}</Link>
        </Panel>
      </Page>
    );
  }
  if (source.error instanceof ApiError && source.error.status === 404) {
    return (
      <Page title={title} documentTitle={[name, t('Sources')]}>
        <Panel role="alert" data-testid="not-found">
          <p>{t('This source does not exist')}</p>
          <Link to={to(listPath)}>{t('Back to sources')}</Link>
        </Panel>
      </Page>
    );
  }

  const o = source.data;
  const spec = obj(o?.spec);
  const artifact = artifactOf(o?.status);
  const conditions = conditionsOf(o?.status);
  const users = usable ? applicationsUsing(apps.data?.items ?? [], kind.kind, namespace, name) : [];
  const releases = history.data?.items ?? [];
  const auth = o?.credentialStatus?.auth;
  const ref = refOf(spec);
  const refLabel = refLabels(t);

  return (
    <Page
      title={title}
      documentTitle={[name, t('Sources')]}
      description={
        kind && (
          <>
            {kindLabel(t, kind.kind, 'singular')} · {t('Namespace')} <span translate="no">{namespace}</span> · {t('Cluster')}{' '}
            <ClusterLink name={cluster} />
          </>
        )
      }
    >
      <ErrorNote error={source.error ?? kinds.error} />
      {!o && (source.isLoading || kinds.isLoading) && <Loading />}
      {o && kind && (
        <>
          <Columns>
            <Panel data-testid="source-status">
              <h2>{t('Status')}</h2>
              <p data-testid="source-detail-state">
                <StateTag state={o.summary.state} title={o.summary.message} />
              </p>
              <Facts>
                <div>
                  <dt>{kind.kind === 'HelmChart' ? t('Chart') : t('URL')}</dt>
                  <dd translate="no" data-testid="source-url">
                    {whereFrom(kind.kind, spec) || '–'}
                  </dd>
                </div>
                {ref && (
                  <div>
                    <dt>{refLabel[ref.key] ?? ref.key}</dt>
                    <dd translate="no" data-testid="source-ref">
                      {ref.value}
                    </dd>
                  </div>
                )}
                <div>
                  <dt>{t('Interval')}</dt>
                  <dd translate="no">{str(spec.interval) || '–'}</dd>
                </div>
                <div>
                  <dt>{t('Credentials')}</dt>
                  <dd>
                    {auth ? (
                      <>
                        <span translate="no">{auth.secretName}</span> ({credentialType(auth.type, t)})
                      </>
                    ) : (
                      '–'
                    )}
                  </dd>
                </div>
              </Facts>
              <h2 style={{ marginTop: 16 }}>{t('Conditions')}</h2>
              <Table data-testid="source-conditions">
                <thead>
                  <tr>
                    <th>{t('Type')}</th>
                    <th>{t('Status')}</th>
                    <th>{t('Reason')}</th>
                    <th>{t('Message')}</th>
                    <th>{t('Since')}</th>
                  </tr>
                </thead>
                <tbody>
                  {conditions.map((c) => (
                    <tr key={c.type} data-testid={`condition-${c.type}`}>
                      <td translate="no">{c.type}</td>
                      <td translate="no">{c.status}</td>
                      <td title={c.reason} style={{ whiteSpace: 'nowrap' }}>
                        <ServerReason reason={c.reason} />
                      </td>
                      <td className="muted">
                        <ServerText text={c.message} />
                      </td>
                      <td className="muted" style={{ whiteSpace: 'nowrap' }}>
                        {fmtTime(c.lastTransitionTime)}
                      </td>
                    </tr>
                  ))}
                  {conditions.length === 0 && (
                    <tr>
                      <td colSpan={5} className="muted" style={{ textAlign: 'center' }}>
                        {t('The controller has not reported yet.')}
                      </td>
                    </tr>
                  )}
                </tbody>
              </Table>
            </Panel>
            <Panel data-testid="source-artifact">
              <h2>{t('Artifact')}</h2>
              {artifact ? (
                <Facts>
                  <div>
                    <dt>{t('Revision')}</dt>
                    <dd data-testid="artifact-revision">
                      <Mono translate="no">{artifact.revision || '–'}</Mono>
                    </dd>
                  </div>
                  <div>
                    <dt>{t('Digest')}</dt>
                    <dd data-testid="artifact-digest">
                      <Mono translate="no">{artifact.digest || '–'}</Mono>
                    </dd>
                  </div>
                  <div>
                    <dt>{t('Size')}</dt>
                    <dd data-testid="artifact-size">{artifact.size === undefined ? '–' : formatSize(artifact.size)}</dd>
                  </div>
                  <div>
                    <dt>{t('Last update')}</dt>
                    <dd data-testid="artifact-updated">{fmtTime(artifact.lastUpdateTime)}</dd>
                  </div>
                </Facts>
              ) : (
                <p className="muted">{t('No artifact yet.')}</p>
              )}
            </Panel>
          </Columns>
          <Panel data-testid="source-revisions">
            <h2>{t('Revision history')}</h2>
            <p className="muted" style={{ fontSize: 12, marginTop: 0 }}>
              {t('The revisions Flux reported fetching, newest first (kept by ksflux from Flux’s events).')}
            </p>
            <ErrorNote error={history.error} />
            <Table>
              <thead>
                <tr>
                  <th>{t('Revision')}</th>
                  <th>{t('Outcome')}</th>
                  <th>{t('First seen')}</th>
                  <th>{t('Message')}</th>
                </tr>
              </thead>
              <tbody>
                {releases.map((r) => (
                  <tr key={`${r.id}-${r.startedAt}`} data-testid="source-revision">
                    <td>
                      <Mono translate="no">{r.revision}</Mono>
                    </td>
                    <td>
                      <StateTag
                        state={r.outcome === 'succeeded' ? 'ready' : r.outcome === 'failed' ? 'failed' : 'progressing'}
                      />
                    </td>
                    <td className="muted">{fmtTime(new Date(r.startedAt).toISOString())}</td>
                    <td className="muted">
                      {r.reason && (
                        <>
                          <ServerReason reason={r.reason} />:{' '}
                        </>
                      )}
                      <ServerText text={r.message} />
                    </td>
                  </tr>
                ))}
                {releases.length === 0 && !history.isLoading && (
                  <tr>
                    <td colSpan={4} className="muted" style={{ textAlign: 'center' }}>
                      {artifact?.revision
                        ? t('No revision recorded yet; the current one is {{revision}}.', { revision: artifact.revision })
                        : t('No revision recorded yet.')}
                    </td>
                  </tr>
                )}
              </tbody>
            </Table>
          </Panel>
          {cluster === HOST && (
            <Distribution resource={plural} namespace={namespace} name={name} metadata={o.metadata} />
          )}
          {usable && (
            <Panel data-testid="source-applications">
              <h2>{t('Applications using this source')}</h2>
              <ErrorNote error={apps.error} />
              <Table>
                <thead>
                  <tr>
                    <th>{t('Application')}</th>
                    <th>{t('State')}</th>
                    <th>{t('Targets')}</th>
                  </tr>
                </thead>
                <tbody>
                  {users.map((a) => {
                    const app = String(a.metadata.name ?? '');
                    const ready = a.status?.conditions?.find((c) => c.type === 'Ready');
                    return (
                      <tr key={app} data-testid={`source-app-${app}`}>
                        <td>
                          <Link to={to(`/applications/${namespace}/${app}`)} translate="no">
                            {app}
                          </Link>
                        </td>
                        <td>
                          <StateTag
                            state={targetState(ready?.status, a.spec.suspend, ready?.reason)}
                            title={ready?.message}
                          />
                        </td>
                        <td translate="no">
                          <TargetChips app={a} />
                        </td>
                      </tr>
                    );
                  })}
                  {users.length === 0 && !apps.isLoading && (
                    <tr>
                      <td colSpan={3} className="muted" style={{ textAlign: 'center' }}>
                        {t('No application uses this source.')}
                      </td>
                    </tr>
                  )}
                </tbody>
              </Table>
            </Panel>
          )}
        </>
      )}
    </Page>
  );
}
