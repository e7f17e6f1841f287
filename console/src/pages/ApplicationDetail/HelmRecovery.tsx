import { Button, Modal, notify } from '@kubed/components';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { HOST } from '../../api/client';
import { useAction } from '../../api/hooks';
import type { RowAction } from '../../components/RowActions';
import { errorText } from './common';

/** Helm's recovery actions on an application's HelmReleases. */
export type HelmAction = 'force' | 'reset';

/** What each action does, as the confirmation says it. */
const EXPLAIN: Record<HelmAction, string> = {
  force:
    'Runs a one-off forced Helm install or upgrade of the release (reconcile.fluxcd.io/forceAt), even when nothing changed or earlier attempts failed. Resources that cannot be patched are replaced.',
  reset:
    "Clears the release's failure counters (reconcile.fluxcd.io/resetAt), so Flux retries its install or upgrade, with its remediation, from the start.",
};

/**
 * Force and Reset for a Helm application's targets: one target's (`clusters` with one entry),
 * or every target's (`all`), each confirmed with what it does. Gives the two actions (for
 * buttons or a row's menu) and the confirmation dialog, to render alongside.
 */
export function useHelmRecovery({
  namespace,
  name,
  clusters,
  all,
}: {
  namespace: string;
  name: string;
  clusters: string[];
  /** The actions act on every target. */
  all?: boolean;
}): { actions: RowAction[]; dialog: ReactNode } {
  const { t } = useTranslation();
  const m = useAction('helmreleases');
  const [asking, setAsking] = useState<HelmAction | null>(null);
  const [busy, setBusy] = useState(false);
  const label = (a: HelmAction) =>
    all ? (a === 'force' ? t('Force all') : t('Reset all')) : a === 'force' ? t('Force') : t('Reset');
  const confirm = async (action: HelmAction) => {
    setBusy(true);
    const failed: string[] = [];
    for (const cluster of clusters) {
      try {
        await m.mutateAsync({ cluster: HOST, namespace, name: `${name}-${cluster}`, action });
      } catch (e) {
        failed.push(`${cluster}: ${errorText(e)}`);
      }
    }
    setBusy(false);
    setAsking(null);
    if (failed.length) notify.error(t('Action failed: {{message}}', { message: failed.join('; ') }));
    else
      notify.success(
        action === 'force'
          ? t('Forced upgrade requested for {{clusters}}', { clusters: clusters.join(', ') })
          : t('Failure counters reset for {{clusters}}', { clusters: clusters.join(', ') }),
      );
  };
  const actions = (['force', 'reset'] as const).map((a) => ({
    key: a,
    label: label(a),
    disabled: busy || clusters.length === 0,
    onSelect: () => setAsking(a),
    testId: `helm-${a}${all ? '-all' : ''}`,
  }));
  const dialog = (
    <Modal
      visible={asking !== null}
      title={asking ? label(asking) : ''}
      onCancel={() => setAsking(null)}
      onOk={() => asking && void confirm(asking)}
      okText={asking ? label(asking) : ''}
      cancelText={t('Cancel')}
      confirmLoading={busy}
      destroyOnClose
    >
      {asking && (
        <div data-testid="helm-confirm">
          <p style={{ marginBottom: 8 }}>{t(EXPLAIN[asking])}</p>
          <p className="muted">{t('Targets: {{clusters}}', { clusters: clusters.join(', ') })}</p>
        </div>
      )}
    </Modal>
  );
  return { actions, dialog };
}

/** Force and Reset as buttons, with their confirmation. */
export function HelmRecovery({
  size,
  ...props
}: {
  namespace: string;
  name: string;
  clusters: string[];
  size?: 'xs' | 'sm';
  /** The buttons act on every target. */
  all?: boolean;
}) {
  const { actions, dialog } = useHelmRecovery(props);
  return (
    <>
      {actions.map((a) => (
        <Button key={a.key} size={size} variant="outline" disabled={a.disabled} onClick={a.onSelect} data-testid={a.testId}>
          {a.label}
        </Button>
      ))}
      {dialog}
    </>
  );
}
