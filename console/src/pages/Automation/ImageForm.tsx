/**
 * Create and edit forms for ImageRepositories (registry credentials in friendly form, never
 * read back), ImagePolicies (ordering, range, tag filter, with a live preview of which scanned
 * tags match and which one would be picked) and ImageUpdateAutomations (checkout and push
 * branches, author, message template, path). Field errors from the server show next to their
 * fields, others above the form.
 */
import { Modal, notify } from '@kubed/components';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, HOST, post } from '../../api/client';
import { resourcePath, useObjectList, useSave } from '../../api/hooks';
import type { ObjectView, PolicyPreview } from '../../api/types';
import { bindValues, FormField } from '../../components/Field';
import { ErrorNote, Table } from '../../components/Page';
import { imageErrors, imageRequest, imageValues, policyOf, type ImageKind, type Values } from './imageForm';

const PLURAL: Record<ImageKind, string> = {
  ImageRepository: 'imagerepositories',
  ImagePolicy: 'imagepolicies',
  ImageUpdateAutomation: 'imageupdateautomations',
};

/** The tags a policy would pick from, as the user edits it (read half a second after typing stops). */
function PolicyPreviewTable({ namespace, values }: { namespace: string; values: Values }) {
  const { t } = useTranslation();
  const repo = values['spec.imageRepositoryRef.name'] ?? '';
  const body = policyOf(values);
  const [settled, setSettled] = useState(body);
  const text = JSON.stringify(body);
  useEffect(() => {
    const id = setTimeout(() => setSettled(JSON.parse(text) as typeof body), 500);
    return () => clearTimeout(id);
  }, [text]);
  const preview = useQuery(
    ['flux', 'imagerepositories', HOST, namespace, repo, 'preview', JSON.stringify(settled)],
    () => post<PolicyPreview>(resourcePath('imagerepositories', namespace, repo, 'preview'), settled),
    { enabled: !!repo && !!namespace, retry: false },
  );
  if (!repo) return <p className="muted">{t('Pick a repository to see which tags the policy picks.')}</p>;
  const p = preview.data;
  return (
    <div data-testid="policy-preview">
      <ErrorNote error={preview.error} />
      {p && (
        <>
          <p>
            {p.pick ? t('Picks {{tag}}', { tag: p.pick }) : t('No scanned tag matches.')}{' '}
            <span className="muted">
              {p.complete
                ? t('{{n}} tags scanned', { n: p.tagCount })
                : t('the 10 latest of {{n}} tags scanned', { n: p.tagCount })}
            </span>
          </p>
          <Table>
            <thead>
              <tr>
                <th>{t('Tag')}</th>
                <th>{t('Matches')}</th>
                <th>{t('Why not')}</th>
              </tr>
            </thead>
            <tbody>
              {p.tags.map((tag) => (
                <tr key={tag.tag} data-testid={`preview-tag-${tag.tag}`} data-pick={tag.tag === p.pick || undefined}>
                  <td>
                    {tag.tag === p.pick ? <b>{tag.tag}</b> : tag.tag}
                    {tag.value !== tag.tag && <span className="muted"> ({tag.value})</span>}
                  </td>
                  <td>{tag.matches ? t('yes') : t('no')}</td>
                  <td className="muted">{tag.reason ? t(tag.reason) : ''}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      )}
    </div>
  );
}

/** Create (no `object`) or edit an image automation object in the host cluster. */
export function ImageForm({
  kind,
  namespace,
  object,
  onClose,
}: {
  kind: ImageKind;
  namespace: string;
  object?: ObjectView;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const save = useSave(PLURAL[kind]);
  const [values, setValues] = useState<Values>(() => imageValues(kind, namespace, object));
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<Values>({});
  const [banner, setBanner] = useState<string>('');
  const ns = values['metadata.namespace'] ?? namespace;
  const repos = useObjectList('imagerepositories', HOST, ns, { limit: 200 }, { enabled: kind === 'ImagePolicy' && !!ns });
  const sources = useObjectList('gitrepositories', HOST, ns, { limit: 200 }, { enabled: kind === 'ImageUpdateAutomation' && !!ns });
  const errors = imageErrors(kind, values);
  const form = bindValues(
    values,
    (path, v) => {
      setValues((old) => ({ ...old, [path]: v }));
      setServer((old) => ({ ...old, [path]: '' }));
    },
    (path) => server[path] || (submitted ? errors[path] : undefined),
  );
  const editing = !!object;
  const submit = () => {
    setSubmitted(true);
    if (Object.keys(errors).length > 0) return;
    const rv = editing ? String(object?.metadata.resourceVersion ?? '') : undefined;
    save.mutate(
      { cluster: HOST, namespace: ns, req: imageRequest(kind, values, rv), create: !editing },
      {
        onSuccess: () => {
          notify.success(editing ? t('Saved {{name}}', { name: values['metadata.name'] }) : t('Created {{name}}', { name: values['metadata.name'] }));
          onClose();
        },
        onError: (e) => {
          const byField: Values = e instanceof ApiError ? e.fieldErrors() : {};
          setServer(byField);
          setBanner(Object.keys(byField).length ? '' : e instanceof Error ? e.message : String(e));
        },
      },
    );
  };
  return (
    <Modal
      visible
      width={760}
      title={editing ? t('Edit {{name}}', { name: values['metadata.name'] }) : t('Create {{kind}}', { kind })}
      onCancel={onClose}
      onOk={submit}
      okText={editing ? t('Save') : t('Create')}
      cancelText={t('Cancel')}
      confirmLoading={save.isLoading}
    >
      <div data-testid="image-form" style={{ padding: '12px 20px' }}>
        {banner && <ErrorNote error={banner} />}
        <FormField form={form} path="metadata.name" label={t('Name')} disabled={editing} />
        {kind === 'ImageRepository' && (
          <>
            <FormField form={form} path="spec.image" label={t('Image')} placeholder="ghcr.io/org/app" />
            <FormField form={form} path="spec.interval" label={t('Scan interval')} />
            <FormField form={form} path="spec.insecure" control="check" check={t('The registry speaks plain HTTP')} />
            <FormField
              form={form}
              path="credentials.username"
              label={t('Registry user')}
              help={editing ? t('Leave empty to keep the stored credentials.') : undefined}
            />
            <FormField form={form} path="credentials.password" control="password" label={t('Password or token')} />
          </>
        )}
        {kind === 'ImagePolicy' && (
          <>
            <FormField form={form} path="spec.imageRepositoryRef.name" control="select" label={t('Image repository')}>
              <option value="">{t('Pick one')}</option>
              {(repos.data?.items ?? []).map((r) => (
                <option key={String(r.metadata.name)} value={String(r.metadata.name)}>
                  {String(r.metadata.name)}
                </option>
              ))}
            </FormField>
            <FormField form={form} path="order" control="select" label={t('Policy')}>
              <option value="semver">{t('Semantic versions in a range')}</option>
              <option value="alphabetical">{t('Latest by name')}</option>
              <option value="numerical">{t('Highest number')}</option>
            </FormField>
            {values.order === 'semver' ? (
              <FormField form={form} path="spec.policy.semver.range" label={t('Range')} placeholder=">=1.0.0 <2.0.0" />
            ) : (
              <FormField form={form} path="direction" control="select" label={t('Order')}>
                <option value="asc">{t('The greatest is picked')}</option>
                <option value="desc">{t('The smallest is picked')}</option>
              </FormField>
            )}
            <FormField form={form} path="spec.filterTags.pattern" label={t('Tag filter')} placeholder="^main-[a-f0-9]+-(?P<ts>[0-9]+)" />
            <FormField form={form} path="spec.filterTags.extract" label={t('Order by')} placeholder="$ts" />
            <PolicyPreviewTable namespace={ns} values={values} />
          </>
        )}
        {kind === 'ImageUpdateAutomation' && (
          <>
            <FormField form={form} path="spec.sourceRef.name" control="select" label={t('Git repository')}>
              <option value="">{t('Pick one')}</option>
              {(sources.data?.items ?? []).map((r) => (
                <option key={String(r.metadata.name)} value={String(r.metadata.name)}>
                  {String(r.metadata.name)}
                </option>
              ))}
            </FormField>
            <FormField form={form} path="spec.git.checkout.ref.branch" label={t('Check out branch')} />
            <FormField
              form={form}
              path="spec.git.push.branch"
              label={t('Push to branch')}
              help={t('Empty: the branch checked out.')}
            />
            <FormField form={form} path="spec.git.commit.author.name" label={t('Author name')} />
            <FormField form={form} path="spec.git.commit.author.email" label={t('Author email')} />
            <FormField
              form={form}
              path="spec.git.commit.messageTemplate"
              control="code"
              label={t('Commit message template')}
              placeholder="Update images: {{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }} {{ end }}"
            />
            <FormField form={form} path="spec.update.path" label={t('Path with setter markers')} />
            <FormField form={form} path="spec.interval" label={t('Interval')} />
          </>
        )}
      </div>
    </Modal>
  );
}
