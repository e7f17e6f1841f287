import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { helmHistory, inventoryEntries, inventoryTree, str } from './inventory';
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
    color: #79879c;
    font-weight: 400;
    margin-left: 6px;
  }
`;

/** The objects a rendered Flux object applied, as namespace → kind → names. */
export function InventoryTree({ object }: { object: unknown }) {
  const { t } = useTranslation();
  const tree = inventoryTree(inventoryEntries(object));
  if (tree.length === 0) return <p className="muted">{t('No inventory reported yet')}</p>;
  return (
    <Tree data-testid="inventory-tree">
      {tree.map((ns) => (
        <li key={ns.namespace} data-namespace={ns.namespace}>
          <details open>
            <summary>
              {ns.namespace || t('Cluster-scoped')}
              <span className="count">{t('{{count}} objects', { count: ns.count })}</span>
            </summary>
            <ul>
              {ns.kinds.map((k) => (
                <li key={`${k.group}/${k.kind}`}>
                  <details open>
                    <summary>
                      {k.kind}
                      <span className="count">
                        {k.apiVersion} · {k.names.length}
                      </span>
                    </summary>
                    <ul>
                      {k.names.map((n) => (
                        <li key={n}>
                          <Mono>{n}</Mono>
                        </li>
                      ))}
                    </ul>
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

/** The inventory of a target: for Helm the release's chart and version first, then the objects. */
export function Inventory({ object, helm }: { object: unknown; helm: boolean }) {
  const { t } = useTranslation();
  if (!object) return <p className="muted">{t('The Flux object is not created yet')}</p>;
  if (!helm) return <InventoryTree object={object} />;
  const latest = helmHistory(object)[0];
  const hasEntries = inventoryEntries(object).length > 0;
  return (
    <div>
      {latest ? (
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
      )}
      {hasEntries && <InventoryTree object={object} />}
    </div>
  );
}
