/**
 * "Notify me about this application": pick one of the namespace's Providers and a severity;
 * an Alert is created for the application's Flux objects (every target's, by ksflux's
 * application label) and its source.
 */
import { Button, Modal, notify } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { HOST } from '../../api/client';
import { useObjectList, useSave } from '../../api/hooks';
import { nameOf, obj, str } from '../../api/json';
import type { ApplicationView } from '../../api/types';
import { useTo } from '../../app/base';
import { Field, NativeSelect } from '../../components/Field';
import { ErrorNote } from '../../components/Page';
import { NOTIFY_LABEL, notifyMeRequest } from '../Automation/notify';
import { errorText } from './common';

/** The button and its dialog. */
export function NotifyMe({ app }: { app: ApplicationView }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="outline" onClick={() => setOpen(true)} data-testid="notify-me">
        {t('Notify me')}
      </Button>
      {open && <NotifyDialog app={app} onClose={() => setOpen(false)} />}
    </>
  );
}

function NotifyDialog({ app, onClose }: { app: ApplicationView; onClose: () => void }) {
  const { t } = useTranslation();
  const to = useTo();
  const { name, namespace } = { name: str(app.metadata.name), namespace: str(app.metadata.namespace) };
  const providers = useObjectList('providers', HOST, namespace, { limit: 500, sortBy: 'name', ascending: true });
  // Providers ksflux keeps for its own history are not offered.
  const offered = (providers.data?.items ?? []).filter((p) => nameOf(p).name !== 'ksflux-events');
  const existing = useObjectList('alerts', HOST, namespace, { labelSelector: `${NOTIFY_LABEL}=${name}` });
  const [provider, setProvider] = useState('');
  const [severity, setSeverity] = useState<'info' | 'error'>('error');
  const save = useSave('alerts');
  const chosen = provider || (offered[0] ? nameOf(offered[0]).name : '');
  const submit = () => {
    const req = notifyMeRequest(
      { name, helm: !!app.spec.helm, source: { kind: app.spec.source.kind, name: app.spec.source.name } },
      chosen,
      severity,
    );
    save.mutate(
      { cluster: HOST, namespace, create: true, req },
      {
        onSuccess: () => {
          notify.success(t('Alert {{name}} created: {{provider}} hears about {{app}}', { name: String(req.metadata.name), provider: chosen, app: name }));
          onClose();
        },
        onError: (e) => notify.error(t('Action failed: {{message}}', { message: errorText(e) })),
      },
    );
  };
  return (
    <Modal
      visible
      title={t('Notify me about {{name}}', { name })}
      onCancel={onClose}
      onOk={submit}
      okText={t('Create alert')}
      cancelText={t('Cancel')}
      okButtonProps={{ disabled: !chosen }}
      confirmLoading={save.isLoading}
      width={600}
    >
      <div data-testid="notify-dialog">
        <ErrorNote error={providers.error} />
        <p style={{ fontSize: 12 }}>
          {t('An Alert sends the events of this application (its Flux objects in every cluster, and its source) to a Provider.')}
        </p>
        {providers.isSuccess && offered.length === 0 ? (
          <p data-testid="no-providers">
            {t('There is no Provider in {{namespace}} yet.', { namespace })}{' '}
            <Link to={to('/automation/providers')}>{t('Create a Provider')}</Link>
          </p>
        ) : (
          <>
            <Field label={t('Provider')} name="provider">
              <NativeSelect id="provider" name="provider" value={chosen} onChange={(e) => setProvider(e.target.value)}>
                {offered.map((p) => (
                  <option key={nameOf(p).name} value={nameOf(p).name}>
                    {nameOf(p).name} ({str(obj(p.spec).type)})
                  </option>
                ))}
              </NativeSelect>
            </Field>
            <Field label={t('Severity')} name="severity">
              <NativeSelect
                id="severity"
                name="severity"
                value={severity}
                onChange={(e) => setSeverity(e.target.value === 'info' ? 'info' : 'error')}
              >
                <option value="error">{t('error (errors only)')}</option>
                <option value="info">{t('info (successes and errors)')}</option>
              </NativeSelect>
            </Field>
          </>
        )}
        {(existing.data?.items.length ?? 0) > 0 && (
          <p className="muted" style={{ fontSize: 12 }} data-testid="existing-alerts">
            {t('Already notifying: {{alerts}}', {
              alerts: existing.data?.items.map((a) => `${nameOf(a).name} → ${str(obj(obj(a.spec).providerRef).name)}`).join(', '),
            })}
          </p>
        )}
      </div>
    </Modal>
  );
}
