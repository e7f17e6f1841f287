import { Input, Modal } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Asks the user to type the name of what is about to be deleted. */
export function ConfirmDelete({
  kind,
  name,
  visible,
  busy,
  onCancel,
  onConfirm,
  consequence,
}: {
  kind: string;
  name: string;
  /** What deleting it does beyond the object itself, shown above the name to type. */
  consequence?: string;
  visible: boolean;
  busy?: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  return (
    <Modal
      visible={visible}
      title={t('Delete {{kind}}', { kind })}
      onCancel={() => {
        setTyped('');
        onCancel();
      }}
      onOk={() => {
        setTyped('');
        onConfirm();
      }}
      okText={t('Delete')}
      cancelText={t('Cancel')}
      confirmLoading={busy}
      okButtonProps={{ color: 'error', disabled: typed !== name }}
      destroyOnClose
    >
      {consequence && (
        <p data-testid="delete-consequence" style={{ marginBottom: 8 }}>
          {consequence}
        </p>
      )}
      <p style={{ marginBottom: 8 }}>
        {t('Type the name {{name}} to delete it. This cannot be undone.', { name })}
      </p>
      <Input
        name="confirm-name"
        aria-label={t('Name')}
        value={typed}
        onChange={(e: React.ChangeEvent<HTMLInputElement>) => setTyped(e.target.value)}
      />
    </Modal>
  );
}
