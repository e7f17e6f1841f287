/**
 * The first steps, while the fleet looks empty to the user: register a cluster, add a source,
 * create an application, each marked done from what the API reports (in the namespace picked,
 * if any). Hidden once all are done, or when dismissed (remembered per browser).
 */
import { Button, Card } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import styled from 'styled-components';
import { useApplications, useClusters, useSummary } from '../../api/hooks';
import { useTo } from '../../app/base';
import { useNamespace } from '../../app/namespace';
import { DISMISSED_KEY, gettingStarted, type StepId } from './gettingStarted';

const Steps = styled.ol`
  margin: 0;
  padding: 0;
  list-style: none;
  li {
    display: grid;
    grid-template-columns: 24px 1fr auto;
    gap: 0 12px;
    align-items: start;
    padding: 10px 0;
    border-bottom: 1px solid #eff4f9;
  }
  li:last-child {
    border-bottom: none;
  }
  .mark {
    width: 22px;
    height: 22px;
    border-radius: 50%;
    border: 1px solid #abb4be;
    color: #5f708a;
    font-size: 12px;
    line-height: 20px;
    text-align: center;
  }
  li[data-done='true'] .mark {
    background: #2e7d55;
    border-color: #2e7d55;
    color: #fff;
  }
  li b {
    display: block;
  }
  li .muted {
    display: block;
    font-size: 12px;
  }
  .done {
    font-size: 12px;
    color: #2e7d55;
    white-space: nowrap;
  }
`;

const Foot = styled.div`
  display: flex;
  align-items: center;
  justify-content: space-between;
  margin-top: 8px;
  font-size: 12px;
`;

function dismissed(): boolean {
  try {
    return window.localStorage.getItem(DISMISSED_KEY) === 'true';
  } catch {
    return false;
  }
}

export function GettingStarted() {
  const to = useTo();
  const { t } = useTranslation();
  const { namespace } = useNamespace();
  const clusters = useClusters();
  // Without a namespace these are the overview's own reads (same keys), so nothing is read twice.
  const summary = useSummary(namespace ? { namespace } : {});
  const apps = useApplications(namespace, { limit: 500 });
  const [hidden, setHidden] = useState(dismissed);
  const g = gettingStarted(clusters.data?.items, summary.data, apps.data?.totalItems);
  if (hidden || !g?.show) return null;

  const text: Record<StepId, { title: string; help: string; link: string; action: string }> = {
    cluster: {
      title: t('Register a cluster'),
      help: t('Add member clusters by kubeconfig, or use the host alone.'),
      link: to('/clusters?register=1'),
      action: t('Register cluster'),
    },
    source: {
      title: t('Add a source'),
      help: t('A Git repository, Helm repository, OCI artifact or bucket to deploy from.'),
      link: to('/sources'),
      action: t('Add a source'),
    },
    application: {
      title: t('Create an application'),
      help: t('One Kustomize or Helm application to many clusters, with per-cluster differences.'),
      link: to('/applications/new'),
      action: t('Create application'),
    },
  };
  const dismiss = () => {
    try {
      window.localStorage.setItem(DISMISSED_KEY, 'true');
    } catch {
      // Not remembered; hidden until the page is loaded again.
    }
    setHidden(true);
  };

  return (
    <Card sectionTitle={t('Get started')} data-testid="getting-started" style={{ marginBottom: 16 }}>
      <Steps>
        {g.steps.map((s, i) => (
          <li key={s.id} data-testid={`step-${s.id}`} data-done={s.done}>
            <span className="mark" aria-hidden>
              {s.done ? '✓' : i + 1}
            </span>
            <div>
              <b>{text[s.id].title}</b>
              <span className="muted">{text[s.id].help}</span>
            </div>
            {s.done ? (
              <span className="done">{t('Done')}</span>
            ) : (
              <Link to={text[s.id].link}>{text[s.id].action}</Link>
            )}
          </li>
        ))}
      </Steps>
      <Foot>
        <span className="muted" data-testid="getting-started-progress">
          {t('{{done}} of {{total}} steps done', { done: g.done, total: g.steps.length })}
          {namespace && (
            <>
              {' · '}
              {t('Namespace')} <span translate="no">{namespace}</span>
            </>
          )}
        </span>
        <Button size="sm" variant="text" onClick={dismiss} data-testid="getting-started-dismiss">
          {t('Dismiss')}
        </Button>
      </Foot>
    </Card>
  );
}
