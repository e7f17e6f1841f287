import { notify } from '@kubed/components';
import { messageOf } from '../api/client';
import { useDelete } from '../api/hooks';
import { nameOf } from '../api/json';
import type { ObjectView } from '../api/types';
import { ConfirmDelete } from './ConfirmDelete';

/** Deletes `object` (a `resource` in `cluster`) once its name is typed, and says how it went. */
export function DeleteObject({
  resource,
  cluster,
  kind,
  object,
  deleted,
  onClose,
}: {
  resource: string;
  cluster: string;
  /** The kind, as the user reads it. */
  kind: string;
  object: ObjectView | null;
  /** The message once `name` is deleted. */
  deleted: (name: string) => string;
  onClose: () => void;
}) {
  const remove = useDelete(resource);
  return (
    <ConfirmDelete
      kind={kind}
      name={object ? nameOf(object).name : ''}
      visible={object !== null}
      busy={remove.isLoading}
      onCancel={onClose}
      onConfirm={() => {
        if (!object) return;
        const { name, namespace } = nameOf(object);
        remove.mutate(
          { cluster, namespace, name },
          {
            onSuccess: () => {
              notify.success(deleted(name));
              onClose();
            },
            onError: (e) => notify.error(messageOf(e)),
          },
        );
      }}
    />
  );
}
