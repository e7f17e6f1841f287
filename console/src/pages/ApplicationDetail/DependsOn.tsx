import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import styled from 'styled-components';
import { useTo } from '../../app/base';

const Graph = styled.div`
  display: flex;
  align-items: center;
  gap: 0;
  font-size: 12px;
  .deps {
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .dep {
    display: flex;
    align-items: center;
  }
  .box {
    border: 1px solid #ccd3db;
    border-radius: 4px;
    padding: 6px 10px;
    background: #f9fbfd;
    min-width: 140px;
  }
  .box small {
    display: block;
    color: #5f708a;
  }
  .arrow {
    width: 60px;
    height: 2px;
    background: #5f708a;
    position: relative;
    margin: 0 4px;
  }
  .arrow::after {
    content: '';
    position: absolute;
    right: -2px;
    top: -4px;
    border-left: 8px solid #5f708a;
    border-top: 5px solid transparent;
    border-bottom: 5px solid transparent;
  }
  .self {
    border: 2px solid #55bc8a;
    background: #fff;
    font-weight: 600;
  }
`;

/**
 * What this application waits for: the applications in its `spec.dependsOn` and the Flux
 * objects the selected target's rendered object depends on, each an arrow into this one.
 */
export function DependsOn({
  namespace,
  name,
  applications,
  fluxObjects,
  cluster,
}: {
  namespace: string;
  name: string;
  applications: string[];
  fluxObjects: string[];
  cluster?: string;
}) {
  const to = useTo();
  const { t } = useTranslation();
  const deps = [
    ...applications.map((a) => ({ key: `app-${a}`, name: a, app: true })),
    ...fluxObjects.map((o) => ({ key: `flux-${o}`, name: o, app: false })),
  ];
  if (deps.length === 0) return <p className="muted">{t('This application depends on nothing')}</p>;
  return (
    <Graph data-testid="depends-on">
      <div className="deps">
        {deps.map((d) => (
          <div className="dep" key={d.key} data-testid={`dependency-${d.name}`}>
            <div className="box">
              {d.app ? <Link to={to(`/applications/${namespace}/${d.name}`)}>{d.name}</Link> : d.name}
              <small>
                {d.app ? t('Application') : t('Flux object in {{cluster}}', { cluster: cluster ?? '-' })}
              </small>
            </div>
            <div className="arrow" aria-hidden />
          </div>
        ))}
      </div>
      <div className="box self">
        {name}
        <small>{t('waits for the ones on the left')}</small>
      </div>
    </Graph>
  );
}
