import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { stringify } from 'yaml';
import { HOST } from '../../api/client';
import { useAction, useInventoryObject, useTargetInventory } from '../../api/hooks';
import type { DriftField, InventoryObject } from '../../api/types';
import { Code, ErrorNote, Table } from '../../components/Page';
import { StateTag } from '../../components/StateTag';
import { asYaml } from '../../components/TargetDiff';
import { ServerText } from '../../i18n/server';
import {
  helmHistory,
  inventoryEntries,
  inventoryTree,
  lineDiff,
  liveCounts,
  liveTree,
  projectOnto,
  str,
  type InventoryFilter,
} from './inventory';
import { Mono } from './common';

const Tree = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;
  font-size: 12px;
  ul {
    list-style: none;
    margin: 4px 0 4px 10px;
    padding-left: 12px;
    border-left: 1px dashed #d8dee5;
  }
  li {
    margin: 3px 0;
  }
  summary {
    cursor: pointer;
    color: #242e42;
    font-weight: 600;
  }
  .count {
    color: #5f708a;
    font-weight: 400;
    margin-left: 6px;
  }
`;

/** One namespace of a tree ('' = cluster-scoped) and its kinds, each with its items. */
interface TreeNamespace<T> {
  namespace: string;
  /** `label`: what the kind's line shows beside it (its API version or group). */
  kinds: { kind: string; group: string; label: string; items: T[] }[];
}

/** A namespace → kind → item tree, every level open; `item` renders one leaf. */
function KindTree<T>({ tree, item }: { tree: TreeNamespace<T>[]; item: (x: T) => ReactNode }) {
  const { t } = useTranslation();
  return (
    <Tree data-testid="inventory-tree">
      {tree.map((ns) => (
        <li key={ns.namespace} data-namespace={ns.namespace}>
          <details open>
            <summary>
              <span translate="no">{ns.namespace || t('Cluster-scoped')}</span>
              <span className="count">
                {t('{{count}} objects', { count: ns.kinds.reduce((n, k) => n + k.items.length, 0) })}
              </span>
            </summary>
            <ul>
              {ns.kinds.map((k) => (
                <li key={`${k.group}/${k.kind}`}>
                  <details open>
                    <summary>
                      {k.kind}
                      <span className="count">
                        {k.label} · {k.items.length}
                      </span>
                    </summary>
                    <ul>{k.items.map(item)}</ul>
                  </details>
                </li>
              ))}
            </ul>
          </details>
        </li>
      ))}
    </Tree>
  );
}

/** The objects a rendered Flux object applied, as namespace → kind → names. */
export function InventoryTree({ object }: { object: unknown }) {
  const { t } = useTranslation();
  const tree = inventoryTree(inventoryEntries(object));
  if (tree.length === 0) return <p className="muted">{t('No inventory reported yet')}</p>;
  return (
    <KindTree
      tree={tree.map((ns) => ({
        namespace: ns.namespace,
        kinds: ns.kinds.map((k) => ({ ...k, label: k.apiVersion, items: k.names })),
      }))}
      item={(n) => (
        <li key={n}>
          <Mono>{n}</Mono>
        </li>
      )}
    />
  );
}

/** Where a target's inventory is: the application, the target's cluster and its Flux object. */
export interface InventoryTarget {
  namespace: string;
  name: string;
  cluster: string;
}

/**
 * The inventory of a target: for Helm the release's chart and version first, then the objects
 * it applied with their health and drift, read live in the target's cluster (the names from
 * the Flux object's status when they cannot be read).
 */
export function Inventory({ object, helm, target }: { object: unknown; helm: boolean; target: InventoryTarget }) {
  const { t } = useTranslation();
  if (!object) return <p className="muted">{t('The Flux object is not created yet')}</p>;
  const latest = helm ? helmHistory(object)[0] : undefined;
  return (
    <div>
      {helm &&
        (latest ? (
          <p data-testid="helm-release">
            {t(
              'Release {{name}} in {{namespace}}: chart {{chart}} {{version}}, revision {{revision}}, {{status}}',
              {
                name: latest.name ?? '-',
                namespace: latest.namespace ?? '-',
                chart: latest.chartName ?? str(object, 'status', 'helmChart') ?? '-',
                version: latest.chartVersion ?? '-',
                revision: latest.version,
                status: latest.status ?? '-',
              },
            )}
            {latest.appVersion && (
              <span className="muted"> ({t('app version {{v}}', { v: latest.appVersion })})</span>
            )}
          </p>
        ) : (
          <p className="muted">{t('The release is not installed yet')}</p>
        ))}
      <LiveInventory object={object} helm={helm} target={target} />
    </div>
  );
}

const Filters = styled.div`
  display: flex;
  gap: 12px;
  align-items: center;
  flex-wrap: wrap;
  margin-bottom: 8px;
  font-size: 12px;
  label {
    display: inline-flex;
    gap: 4px;
    align-items: center;
    cursor: pointer;
  }
`;

const Row = styled.li`
  > button {
    display: inline-flex;
    gap: 8px;
    align-items: center;
    border: none;
    background: none;
    padding: 2px 0;
    cursor: pointer;
    font-size: 12px;
    color: #242e42;
  }
  .drift {
    padding: 0 6px;
    border-radius: 2px;
    background: #fff4e0;
    color: #b86e00;
    font-weight: 600;
  }
  .message {
    color: #5f708a;
  }
`;

const Detail = styled.div`
  margin: 6px 0 10px;
  padding: 8px 10px;
  border: 1px solid #e3e9ef;
  border-radius: 4px;
  background: #fff;
  pre.diff {
    margin: 0;
    max-height: 420px;
    overflow: auto;
    font-size: 12px;
    line-height: 1.5;
    background: #f9fbfd;
    padding: 6px 0;
  }
  pre.diff span {
    display: block;
    padding: 0 8px;
    white-space: pre;
  }
  pre.diff span[data-op='-'] {
    background: #fde8e8;
    color: #ca2621;
  }
  pre.diff span[data-op='+'] {
    background: #e3f6ec;
    color: #2a8a5c;
  }
`;

/** The objects a target applied as namespace → kind → object, with health, drift and filters. */
function LiveInventory({ object, helm, target }: { object: unknown; helm: boolean; target: InventoryTarget }) {
  const { t } = useTranslation();
  const q = useTargetInventory(target.namespace, target.name, target.cluster);
  const [filter, setFilter] = useState<InventoryFilter>('all');
  const [open, setOpen] = useState<string | null>(null);
  const reconcile = useAction(helm ? 'helmreleases' : 'kustomizations');
  const child = str(object, 'metadata', 'name') ?? '';
  if (q.isLoading) return <p className="muted">{t('Loading…')}</p>;
  const inv = q.data;
  if (q.error || !inv || inv.error) {
    // Without live reads, the names Flux reported.
    return (
      <div>
        {q.error ? <ErrorNote error={q.error} /> : inv?.error && (
          <p className="muted">
            <ServerText text={inv.error} />
          </p>
        )}
        {inventoryEntries(object).length > 0 && <InventoryTree object={object} />}
      </div>
    );
  }
  const counts = liveCounts(inv.objects);
  const tree = liveTree(inv.objects, filter);
  const filters: { key: InventoryFilter; label: string }[] = [
    { key: 'all', label: t('All ({{count}})', { count: counts.total }) },
    { key: 'unhealthy', label: t('Unhealthy ({{count}})', { count: counts.unhealthy }) },
    { key: 'drifted', label: t('Drifted ({{count}})', { count: counts.drifted }) },
  ];
  return (
    <div data-testid={`inventory-${target.cluster}`}>
      <Filters role="radiogroup" aria-label={t('Show')}>
        {filters.map((f) => (
          <label key={f.key}>
            <input
              type="radio"
              name={`inventory-filter-${target.cluster}`}
              checked={filter === f.key}
              onChange={() => setFilter(f.key)}
              data-testid={`inventory-filter-${f.key}`}
            />
            {f.label}
          </label>
        ))}
        <span className="muted">
          {inv.driftFrom === 'manifest'
            ? t('Drift: compared with the manifest Flux applied')
            : t('Drift: fields changed outside Flux since it last applied')}
        </span>
      </Filters>
      {inv.notice && (
        <p className="muted">
          <ServerText text={inv.notice} />
        </p>
      )}
      {inv.truncated > 0 && <p className="muted">{t('{{count}} more objects not shown', { count: inv.truncated })}</p>}
      {tree.length === 0 && <p className="muted">{t('No objects match')}</p>}
      <KindTree
        tree={tree.map((ns) => ({
          namespace: ns.namespace,
          kinds: ns.kinds.map((k) => ({ kind: k.kind, group: k.group, label: k.group || 'core', items: k.objects })),
        }))}
        item={(o) => (
                          <Row key={o.id} data-testid={`inventory-object-${o.kind}-${o.name}`} data-drifted={String(o.drifted === true)}>
                            <button type="button" aria-expanded={open === o.id} onClick={() => setOpen(open === o.id ? null : o.id)}>
                              <Mono>{o.name}</Mono>
                              <StateTag state={o.health} />
                              {o.drifted && (
                                <span className="drift" data-testid="drifted">
                                  {t('Drifted · {{count}} fields', { count: o.drift.length })}
                                </span>
                              )}
                              {o.message && (
                                <span className="message">
                                  <ServerText text={o.message} />
                                </span>
                              )}
                            </button>
                            {open === o.id && (
                              <ObjectDetail
                                target={target}
                                entry={o}
                                helm={helm}
                                onReconcile={
                                  child
                                    ? () =>
                                        reconcile.mutate({
                                          cluster: HOST,
                                          namespace: target.namespace,
                                          name: child,
                                          action: 'reconcile',
                                          wait: 60,
                                        })
                                    : undefined
                                }
                                reconciling={reconcile.isLoading}
                              />
                            )}
                          </Row>
        )}
      />
    </div>
  );
}

/** The drifted fields of an object: what Flux applied (where known), the live value, who changed it. */
function DriftTable({ fields }: { fields: DriftField[] }) {
  const { t } = useTranslation();
  return (
    <Table data-testid="drift-fields">
      <thead>
        <tr>
          <th>{t('Field')}</th>
          <th>{t('Applied by Flux')}</th>
          <th>{t('Live')}</th>
          <th>{t('Changed by')}</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr key={f.path}>
            <td>
              <Mono>{f.path}</Mono>
            </td>
            <td>{f.desired === undefined ? <i className="muted">{t('(not kept by Flux)')}</i> : <pre>{asYaml(f.desired)}</pre>}</td>
            <td>{f.live === undefined ? <i className="muted">{t('(none)')}</i> : <pre>{asYaml(f.live)}</pre>}</td>
            <td>
              {f.by ? <Mono>{f.by}</Mono> : '-'}
              {f.at && <div className="muted">{new Date(f.at).toLocaleString()}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

/** One object opened: its drift, the live-vs-applied diff (Helm) or live manifest, and a way to restore. */
function ObjectDetail({
  target,
  entry,
  helm,
  onReconcile,
  reconciling,
}: {
  target: InventoryTarget;
  entry: InventoryObject;
  helm: boolean;
  onReconcile?: () => void;
  reconciling: boolean;
}) {
  const { t } = useTranslation();
  const q = useInventoryObject(target.namespace, target.name, target.cluster, entry.id);
  const [view, setView] = useState<'diff' | 'live'>('diff');
  const live = q.data?.live;
  const desired = q.data?.desired;
  return (
    <Detail data-testid="inventory-detail">
      {entry.drifted && entry.drift.length > 0 && <DriftTable fields={entry.drift} />}
      {entry.drifted && (
        <p className="muted" style={{ margin: '6px 0' }}>
          {helm
            ? t('Flux puts these fields back at its next upgrade, or now with Reconcile (Force for an unchanged release).')
            : t('Flux puts these fields back at its next reconciliation.')}{' '}
          {onReconcile && (
            <button type="button" className="link" onClick={onReconcile} disabled={reconciling} data-testid="restore">
              {t('Reconcile now')}
            </button>
          )}
        </p>
      )}
      {q.error && <ErrorNote error={q.error} />}
      {q.isLoading && <p className="muted">{t('Loading…')}</p>}
      {q.data && (
        <div>
          {desired !== undefined && (
            <Filters role="tablist">
              <label>
                <input type="radio" checked={view === 'diff'} onChange={() => setView('diff')} data-testid="show-diff" />
                {t('Applied → live')}
              </label>
              <label>
                <input type="radio" checked={view === 'live'} onChange={() => setView('live')} data-testid="show-live" />
                {t('Live manifest')}
              </label>
            </Filters>
          )}
          {desired !== undefined && view === 'diff' ? (
            <pre className="diff" data-testid="manifest-diff" aria-label={t('Applied → live')}>
              {lineDiff(stringify(stripStatus(desired)), stringify(projectOnto(stripStatus(desired), live ?? {}, entry.drift.map((f) => f.path)))).map((l, i) => (
                <span key={i} data-op={l.op}>
                  {l.op} {l.text}
                </span>
              ))}
            </pre>
          ) : (
            <Code data-testid="live-manifest">{live ? stringify(live) : t('(none)')}</Code>
          )}
        </div>
      )}
    </Detail>
  );
}

/** An object without its status, for the applied-vs-live diff. */
function stripStatus(o: unknown): unknown {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return o;
  const { status: _status, ...rest } = o as Record<string, unknown>;
  void _status;
  return rest;
}
