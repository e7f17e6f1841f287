/** Step 6: what will be created or saved, before the user confirms. */
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { hasOverrides, type WizardState } from './model';
import { Marker } from './Marker';

const List = styled.dl`
  display: grid;
  grid-template-columns: 160px 1fr;
  gap: 8px 16px;
  margin: 0;
  font-size: 12px;
  dt {
    color: #5f708a;
  }
  dd {
    margin: 0;
    color: #242e42;
  }
`;

/** The application at a glance. */
export function Summary({ state, editing }: { state: WizardState; editing: boolean }) {
  const { t } = useTranslation();
  const helm = state.type === 'helm';
  return (
    <div data-testid="summary">
      <p style={{ fontSize: 12, marginTop: 0 }}>
        {editing
          ? t('Save to update the application; the controller applies the change to every cluster.')
          : t('Create the application; the controller deploys it to every cluster.')}
      </p>
      <List>
        <dt>{t('Name')}</dt>
        <dd>{state.name}</dd>
        <dt>{t('Namespace')}</dt>
        <dd>{state.namespace}</dd>
        <dt>{t('Type')}</dt>
        <dd>{helm ? t('Helm chart') : t('Kustomize')}</dd>
        <dt>{t('Source')}</dt>
        <dd>
          {state.sourceKind}/{state.sourceName}
        </dd>
        {helm ? (
          <>
            <dt>{t('Chart')}</dt>
            <dd>
              {state.chart}
              {state.sourceKind === 'HelmRepository' && state.version ? ` (${state.version})` : ''}
            </dd>
          </>
        ) : (
          <>
            <dt>{t('Path')}</dt>
            <dd>{state.path || './'}</dd>
          </>
        )}
        <dt>{t('Interval')}</dt>
        <dd>{state.interval || '5m'}</dd>
        <dt>{t('Targets')}</dt>
        <dd>
          {state.targets.map((x, i) => (
            <div key={x.cluster} data-testid={`summary-target-${x.cluster}`}>
              {x.cluster} → {x.namespace}
              {x.suspend && <Marker>{t('suspended')}</Marker>}
              {hasOverrides(state, i) && <Marker>{t('overrides')}</Marker>}
            </div>
          ))}
        </dd>
      </List>
    </div>
  );
}
