import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { stringify } from 'yaml';
import type { ApplicationView as Application } from '../../api/types';
import { Code, Table } from '../../components/Page';
import { Mono } from './common';
import { DependsOn } from './DependsOn';
import { Events } from './Events';
import { HelmHistory } from './History';
import { Inventory } from './Inventory';
import { helmHistory, str, withoutManagedFields } from './inventory';
import type { TargetRow } from './Targets';
import { Workloads } from './Workloads';

const TabRow = styled.div`
  display: flex;
  gap: 4px;
  border-bottom: 1px solid #e3e9ef;
  margin-bottom: 12px;
  flex-wrap: wrap;
  button {
    border: none;
    background: none;
    padding: 8px 12px;
    font-size: 12px;
    color: #5f708a;
    cursor: pointer;
    border-bottom: 2px solid transparent;
  }
  button[aria-selected='true'] {
    color: #242e42;
    font-weight: 600;
    border-bottom-color: #55bc8a;
  }
`;

/** The views of one target. */
type View = 'revisions' | 'workloads' | 'inventory' | 'history' | 'events' | 'dependsOn' | 'yaml';

/** Tabs for one target: revisions, workloads, inventory, Helm history, events, dependencies and YAML. */
export function TargetPanel({ app, row }: { app: Application; row: TargetRow }) {
  const { t } = useTranslation();
  const helm = !!app.spec.helm;
  const [view, setView] = useState<View>('revisions');
  const views: { key: View; label: string }[] = [
    { key: 'revisions', label: t('Revisions') },
    { key: 'workloads', label: t('Workloads') },
    { key: 'inventory', label: t('Inventory') },
    ...(helm ? [{ key: 'history' as View, label: t('Helm history') }] : []),
    { key: 'events', label: t('Events') },
    { key: 'dependsOn', label: t('Depends on') },
    { key: 'yaml', label: t('YAML') },
  ];
  const current = views.some((v) => v.key === view) ? view : 'revisions';
  const object = row.detail?.object ?? null;
  return (
    <div data-testid={`target-panel-${row.cluster}`}>
      <TabRow role="tablist">
        {views.map((v) => (
          <button
            key={v.key}
            type="button"
            role="tab"
            aria-selected={current === v.key}
            data-testid={`tab-${v.key}`}
            onClick={() => setView(v.key)}
          >
            {v.label}
          </button>
        ))}
      </TabRow>
      <div role="tabpanel">
        {current === 'revisions' && <Revisions app={app} row={row} />}
        {current === 'workloads' && (
          <Workloads namespace={app.metadata.namespace as string} name={app.metadata.name as string} cluster={row.cluster} />
        )}
        {current === 'inventory' && (
          <Inventory
            object={object}
            helm={helm}
            target={{ namespace: app.metadata.namespace as string, name: app.metadata.name as string, cluster: row.cluster }}
          />
        )}
        {current === 'history' && <HelmHistory object={object} />}
        {current === 'events' && <Events events={row.detail?.events ?? []} />}
        {current === 'dependsOn' && (
          <DependsOn
            namespace={app.metadata.namespace as string}
            name={app.metadata.name as string}
            applications={app.spec.dependsOn ?? []}
            fluxObjects={row.detail?.dependsOn ?? []}
            cluster={row.cluster}
          />
        )}
        {current === 'yaml' && <Yaml app={app} object={object} />}
      </div>
    </div>
  );
}

function Revisions({ app, row }: { app: Application; row: TargetRow }) {
  const { t } = useTranslation();
  const object = row.detail?.object;
  const applied = row.status?.lastAppliedRevision ?? str(object, 'status', 'lastAppliedRevision');
  const attempted = row.status?.lastAttemptedRevision ?? str(object, 'status', 'lastAttemptedRevision');
  const latest = helmHistory(object)[0];
  const override = app.spec.targets.find((x) => x.cluster === row.cluster)?.overrides;
  const rows: [string, string | undefined][] = [
    [t('Last applied revision'), applied],
    [t('Last attempted revision'), attempted],
  ];
  if (app.spec.helm) {
    rows.push([t('Chart version range'), override?.version ?? app.spec.helm.version ?? '*']);
    rows.push([t('Deployed chart version'), latest?.chartVersion]);
    rows.push([t('App version'), latest?.appVersion]);
  } else {
    rows.push([t('Path'), override?.path ?? app.spec.kustomize?.path ?? './']);
  }
  const pending = !!applied && !!attempted && applied !== attempted;
  return (
    <div>
      <Table data-testid="revisions">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th style={{ width: 200 }}>{k}</th>
              <td>
                <Mono>{v || '-'}</Mono>
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      {pending && (
        <p style={{ color: '#a86800', marginTop: 8 }} role="status">
          {t('The last attempted revision is not applied yet')}
        </p>
      )}
    </div>
  );
}

function Yaml({ app, object }: { app: Application; object: unknown }) {
  const { t } = useTranslation();
  const clean = withoutManagedFields(app) as Record<string, unknown>;
  const { summary: _summary, credentialStatus: _credentials, cluster: _cluster, ...resource } = clean;
  void _summary;
  void _credentials;
  void _cluster;
  return (
    <div>
      <h3 style={{ fontSize: 12, margin: '0 0 6px' }}>{t('Application')}</h3>
      <Code data-testid="yaml-application">{stringify(resource)}</Code>
      <h3 style={{ fontSize: 12, margin: '12px 0 6px' }}>{t('Rendered Flux object')}</h3>
      {object ? (
        <Code data-testid="yaml-object">{stringify(withoutManagedFields(object))}</Code>
      ) : (
        <p className="muted">{t('The Flux object is not created yet')}</p>
      )}
    </div>
  );
}
