/**
 * The list table of Flux objects of one kind: name, namespace, the columns a page adds (state
 * among them), and per row the actions the kind takes (from `GET /kinds`: reconcile, suspend or
 * resume) followed by the page's own, on one line (the rest of them in a menu). Used by the Sources and Automation pages.
 */
import { notify } from '@kubed/components';
import type { CSSProperties, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { messageOf } from '../api/client';
import { useAction } from '../api/hooks';
import { nameOf } from '../api/json';
import type { Action, KindView, ObjectView } from '../api/types';
import { Table, VisuallyHidden } from './Page';
import { RowActions, type RowAction } from './RowActions';
import { StateTag } from './StateTag';
import { ServerText } from '../i18n/server';

/** A column after the name and namespace. */
export interface Column {
  header: ReactNode;
  cell: (o: ObjectView) => ReactNode;
  /** The cell's test id, from the object's name. */
  testId?: (name: string) => string;
  className?: string;
  style?: CSSProperties;
}

/** The state column: the state, and (with `message`) a failed object's message under it. */
export function stateColumn(header: ReactNode, opts: { testId?: (name: string) => string; message?: boolean } = {}): Column {
  return {
    header,
    testId: opts.testId,
    cell: (o) => (
      <>
        <StateTag state={o.summary.state} title={o.summary.message} />
        {opts.message && o.summary.state === 'failed' && o.summary.message && (
          <div className="muted">
            <ServerText text={o.summary.message} />
          </div>
        )}
      </>
    ),
  };
}

/** Whether an object is suspended (its summary follows `spec.suspend`, also when it changes live). */
export const isSuspended = (o: ObjectView): boolean => o.summary.suspended;

/**
 * A row's actions: the kind's on the object, in `cluster`, each with a message when done,
 * then the page's own (`more`). The first shows; with more than two the rest are in a menu.
 */
function ObjectActions({
  kind,
  cluster,
  object,
  more = [],
}: {
  kind: KindView;
  cluster: string;
  object: ObjectView;
  more?: RowAction[];
}) {
  const { t } = useTranslation();
  const action = useAction(kind.plural);
  const { name, namespace } = nameOf(object);
  const suspended = isSuspended(object);
  const done = (a: Action) =>
    a === 'reconcile'
      ? t('Reconcile of {{name}} requested', { name })
      : a === 'suspend'
        ? t('{{name}} suspended', { name })
        : t('{{name}} resumed', { name });
  const run = (a: Action) =>
    action.mutate(
      // A reconcile waits (up to 30 s) until the controller handled it.
      { cluster, namespace, name, action: a, wait: a === 'reconcile' ? 30 : undefined },
      { onSuccess: () => notify.success(done(a)), onError: (e) => notify.error(messageOf(e)) },
    );
  const busy = (a: Action) => action.isLoading && action.variables?.action === a;
  const takes = (a: Action) => kind.actions.includes(a);
  const toggle: Action = suspended ? 'resume' : 'suspend';
  const actions: RowAction[] = [];
  if (takes('reconcile'))
    actions.push({
      key: 'reconcile',
      label: t('Reconcile'),
      loading: busy('reconcile'),
      disabled: suspended,
      onSelect: () => run('reconcile'),
    });
  if (takes(toggle))
    actions.push({
      key: toggle,
      label: suspended ? t('Resume') : t('Suspend'),
      loading: busy(toggle),
      onSelect: () => run(toggle),
    });
  return <RowActions actions={[...actions, ...more]} name={name} testId={`more-${name}`} />;
}

/** The table of `items`, all of `kind` in `cluster`. */
export function ObjectTable({
  kind,
  cluster,
  items,
  columns,
  rowTestId,
  more,
  empty,
  nameLink,
}: {
  kind: KindView;
  cluster: string;
  items: ObjectView[];
  columns: Column[];
  /** A row's test id, from the object's name. */
  rowTestId: (name: string) => string;
  /** The page's own actions on a row, after the kind's. */
  more?: (o: ObjectView) => RowAction[];
  /** What an empty table says (nothing while it loads). */
  empty?: ReactNode;
  /** Where a row's name links to (the object's page), if anywhere. */
  nameLink?: (o: ObjectView) => string;
}) {
  const { t } = useTranslation();
  const span = columns.length + 3;
  return (
    <Table>
      <thead>
        <tr>
          <th>{t('Name')}</th>
          <th>{t('Namespace')}</th>
          {columns.map((c, i) => (
            <th key={i}>{c.header}</th>
          ))}
          <th>
            <VisuallyHidden>{t('Actions')}</VisuallyHidden>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((o) => {
          const { name, namespace } = nameOf(o);
          return (
            <tr key={`${namespace}/${name}`} data-testid={rowTestId(name)}>
              <td>
                <b translate="no">{nameLink ? <Link to={nameLink(o)}>{name}</Link> : name}</b>
              </td>
              <td>{namespace}</td>
              {columns.map((c, i) => (
                <td key={i} className={c.className} style={c.style} data-testid={c.testId?.(name)}>
                  {c.cell(o)}
                </td>
              ))}
              <td className="row-actions">
                <ObjectActions kind={kind} cluster={cluster} object={o} more={more?.(o)} />
              </td>
            </tr>
          );
        })}
        {items.length === 0 && empty && (
          <tr>
            <td colSpan={span} className="muted" style={{ textAlign: 'center' }}>
              {empty}
            </td>
          </tr>
        )}
      </tbody>
    </Table>
  );
}
