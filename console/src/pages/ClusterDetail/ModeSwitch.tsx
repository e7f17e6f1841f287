/**
 * A member's delivery mode switch: hub (the host's Flux reaches the member) to agent (the
 * member's own Flux runs what ksflux applies there) and back, confirmed with what it does.
 * Says why agent mode cannot run there, when the server says so, and then offers no switch to
 * it; a refusal is shown in the dialog.
 */
import { Banner, Button, Modal, notify } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, messageOf } from '../../api/client';
import { useSetClusterMode } from '../../api/hooks';
import type { ClusterMode, ClusterView } from '../../api/types';
import { messageText, ServerText } from '../../i18n/server';

export function ModeSwitch({ cluster }: { cluster: ClusterView }) {
  const { t } = useTranslation();
  const setMode = useSetClusterMode();
  const [asking, setAsking] = useState(false);
  const [failure, setFailure] = useState<string>();
  const to: ClusterMode = cluster.mode === 'agent' ? 'hub' : 'agent';
  const label = to === 'agent' ? t('Switch to agent mode') : t('Switch to hub mode');
  // Members registered through ksflux or KubeSphere alike: the mode is kept where each is registered.
  const agentBlocked = cluster.agentBlocked || undefined;
  const why =
    to === 'agent' && agentBlocked ? { id: 'cluster-agent-blocked', text: messageText(agentBlocked, t) } : undefined;
  const close = () => {
    setAsking(false);
    setFailure(undefined);
  };
  const confirm = () => {
    setFailure(undefined);
    setMode.mutate(
      { name: cluster.name, mode: to },
      {
        onSuccess: () => {
          notify.success(
            to === 'agent'
              ? t('{{cluster}} now uses agent mode', { cluster: cluster.name })
              : t('{{cluster}} now uses hub mode', { cluster: cluster.name }),
          );
          close();
        },
        // A refusal names `mode` with the reason; anything else says what went wrong.
        onError: (e) => setFailure(e instanceof ApiError ? (e.fieldErrors().mode ?? e.message) : messageOf(e)),
      },
    );
  };
  return (
    <>
      {agentBlocked && (
        <div className="muted" id="cluster-agent-blocked" data-testid="cluster-agent-blocked">
          <ServerText text={agentBlocked} />
        </div>
      )}
      <div style={{ marginTop: 6 }}>
        <Button
          size="sm"
          variant="outline"
          disabled={!!why}
          title={why?.text}
          aria-describedby={why?.id}
          onClick={() => setAsking(true)}
          data-testid="cluster-mode-switch"
        >
          {label}
        </Button>
      </div>
      <Modal
        visible={asking}
        title={label}
        onCancel={close}
        onOk={confirm}
        okText={t('Switch')}
        cancelText={t('Cancel')}
        confirmLoading={setMode.isLoading}
        destroyOnClose
      >
        <div data-testid="cluster-mode-confirm">
          <p style={{ marginBottom: 8 }}>
            {to === 'agent'
              ? t(
                  'The Flux objects of every application target on {{cluster}} move at their next reconciliation: ksflux creates them in {{cluster}}, whose own Flux runs them, and deletes them from the host. Flux may apply their workloads again.',
                  { cluster: cluster.name },
                )
              : t(
                  'The Flux objects of every application target on {{cluster}} move at their next reconciliation: ksflux creates them in the host, whose Flux reaches {{cluster}} through a scoped kubeconfig, and deletes them from {{cluster}}. Flux may apply their workloads again.',
                  { cluster: cluster.name },
                )}
          </p>
          {/* The kit's Banner takes no role: the alert is around it. */}
          {failure && (
            <div role="alert" data-testid="cluster-mode-error">
              <Banner title={t('Request failed')} description={<ServerText text={failure} />} />
            </div>
          )}
        </div>
      </Modal>
    </>
  );
}
