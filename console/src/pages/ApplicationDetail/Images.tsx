/**
 * An application's automated images: per image one chain (registry scan → the policy's pick
 * → each cluster's tag, following or waiting for a promotion, with its state), a Promote
 * button that shows the diff first, and "Automate an image": pick the image, a policy and,
 * for clusters that should wait, manual promotion; see the marker commit (git) or the
 * application diff, confirm.
 */
import { Button, Input, Modal, notify } from '@kubed/components';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, get, HOST, post, put } from '../../api/client';
import { keys, resourcePath } from '../../api/hooks';
import type {
  ApplicationView,
  ImageChain,
  ImageSetupResult,
  PromotionProposal,
  TargetDiff,
  TargetWorkloads,
} from '../../api/types';
import { NativeSelect } from '../../components/Field';
import { ErrorNote, Table, Toolbar, VisuallyHidden } from '../../components/Page';
import { StateTag } from '../../components/StateTag';
import { errorText, fmtTime, Mono } from './common';
import { imageSuggestions, splitImage, suggestedRange } from './images';

/** The changes of a diff, one line each. */
function DiffList({ diff }: { diff: TargetDiff[] }) {
  const { t } = useTranslation();
  const changed = diff.filter((d) => d.action !== 'unchanged');
  if (changed.length === 0) return <p className="muted">{t('Nothing changes.')}</p>;
  return (
    <ul data-testid="image-diff" style={{ paddingLeft: 16, margin: 0 }}>
      {changed.flatMap((d) =>
        d.changes.map((c) => (
          <li key={`${d.cluster}-${c.path}`}>
            <b>{d.cluster}</b> <Mono>{c.path}</Mono>: <Mono>{JSON.stringify(c.old ?? null)}</Mono> →{' '}
            <Mono>{JSON.stringify(c.new ?? null)}</Mono>
          </li>
        )),
      )}
    </ul>
  );
}

/** Promote one cluster: the proposal's diff, then the edit. */
function Promote({ app, policy, cluster, pending }: { app: ApplicationView; policy: string; cluster: string; pending: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const namespace = String(app.metadata.namespace ?? '');
  const name = String(app.metadata.name ?? '');
  const [proposal, setProposal] = useState<PromotionProposal | null>(null);
  const [busy, setBusy] = useState(false);
  const ask = async () => {
    setBusy(true);
    try {
      setProposal(
        await get<PromotionProposal>(resourcePath('applications', namespace, name, 'promotion'), { policy, cluster }),
      );
    } catch (e) {
      notify.error(t('Action failed: {{message}}', { message: errorText(e) }));
    }
    setBusy(false);
  };
  const apply = async () => {
    if (!proposal) return;
    setBusy(true);
    const save = (p: PromotionProposal) =>
      put(resourcePath('applications', namespace, name), {
        metadata: { name, resourceVersion: p.resourceVersion },
        spec: p.spec,
      });
    try {
      try {
        await save(proposal);
      } catch (e) {
        // The controller wrote the status meanwhile: the same promotion on the new version.
        if (!(e instanceof ApiError && e.status === 409)) throw e;
        const again = await get<PromotionProposal>(resourcePath('applications', namespace, name, 'promotion'), {
          policy,
          cluster,
          tag: proposal.to,
        });
        await save(again);
      }
      notify.success(t('Promoted {{cluster}} to {{tag}}', { cluster, tag: proposal.to }));
      setProposal(null);
      void qc.invalidateQueries(['flux', 'applications']);
    } catch (e) {
      notify.error(t('Action failed: {{message}}', { message: errorText(e) }));
    }
    setBusy(false);
  };
  return (
    <>
      <Button size="xs" variant="outline" disabled={busy} onClick={() => void ask()} data-testid={`promote-${cluster}`}>
        {t('Promote to {{tag}}', { tag: pending })}
      </Button>
      <Modal
        visible={proposal !== null}
        title={t('Promote {{cluster}}', { cluster })}
        onCancel={() => setProposal(null)}
        onOk={() => void apply()}
        okText={t('Promote')}
        cancelText={t('Cancel')}
        confirmLoading={busy}
        destroyOnClose
      >
        {proposal && (
          <div data-testid="promote-confirm" style={{ padding: '12px 20px' }}>
            <p style={{ marginBottom: 8 }}>
              {t('{{cluster}} runs {{from}}; it will run {{to}}.', {
                cluster,
                from: proposal.from ?? t('the tag in its values'),
                to: proposal.to,
              })}
            </p>
            <DiffList diff={proposal.diff} />
          </div>
        )}
      </Modal>
    </>
  );
}

/** One automated image, end to end. */
function Chain({ app, chain, workloads }: { app: ApplicationView; chain: ImageChain; workloads: TargetWorkloads[] }) {
  const { t } = useTranslation();
  const image = chain.repositoryImage ?? chain.image;
  /** The tags `cluster`'s workloads run of this image. */
  const running = (cluster: string): string[] => {
    const tags = (workloads.find((w) => w.cluster === cluster)?.workloads ?? [])
      .flatMap((w) => w.images)
      .map(splitImage)
      .filter((i) => i.name === image && i.tag)
      .map((i) => i.tag as string);
    return [...new Set(tags)];
  };
  return (
    <div data-testid={`image-chain-${chain.policy}`} style={{ marginBottom: 16 }}>
      <p style={{ margin: '0 0 8px' }}>
        <b>{chain.repositoryImage ?? chain.image ?? chain.policy}</b>
        {' · '}
        {chain.tagCount != null
          ? t('{{n}} tags scanned {{when}}', { n: chain.tagCount, when: fmtTime(chain.scanTime) })
          : t('not scanned yet')}
        {' → '}
        <span data-testid="image-latest">
          {chain.latest ? t('policy {{policy}} picks {{tag}}', { policy: chain.policy, tag: chain.latest }) : t('no tag picked yet')}
        </span>
        {chain.automation && (
          <span data-testid="image-push">
            {' → '}
            {chain.lastPushCommit
              ? t('commit {{sha}} pushed {{when}}', { sha: chain.lastPushCommit.slice(0, 8), when: fmtTime(chain.lastPushTime) })
              : t('no commit pushed yet')}
          </span>
        )}
        {!chain.policyReady && chain.message && <span className="muted"> ({chain.message})</span>}
      </p>
      <Table>
        <thead>
          <tr>
            <th>{t('Cluster')}</th>
            <th>{t('Takes new tags')}</th>
            <th>{t('Tag')}</th>
            <th>{t('Running')}</th>
            <th>{t('State')}</th>
            <th>{t('Revision')}</th>
            <th>
              <VisuallyHidden>{t('Actions')}</VisuallyHidden>
            </th>
          </tr>
        </thead>
        <tbody>
          {chain.targets.map((c) => (
            <tr key={c.cluster} data-testid={`image-target-${c.cluster}`}>
              <td>{c.cluster}</td>
              <td>{c.mode === 'Auto' ? t('automatically') : t('when promoted')}</td>
              <td>
                <Mono>{c.tag ?? t('as in the values')}</Mono>
                {c.pending && (
                  <div className="muted" data-testid={`image-pending-${c.cluster}`}>
                    {t('{{tag}} available', { tag: c.pending })}
                  </div>
                )}
              </td>
              <td data-testid={`image-running-${c.cluster}`}>
                <Mono>{running(c.cluster).join(', ') || '-'}</Mono>
              </td>
              <td>
                <StateTag state={c.ready === 'True' ? 'ready' : c.ready === 'False' ? 'failed' : 'progressing'} />
              </td>
              <td>
                <Mono>{c.appliedRevision ?? '-'}</Mono>
              </td>
              <td>{c.pending && <Promote app={app} policy={chain.policy} cluster={c.cluster} pending={c.pending} />}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}

type PolicyKind = 'semver' | 'alphabetical' | 'numerical';

/** Automate an image: the three-step flow. */
function Automate({ app, clusters, workloads }: { app: ApplicationView; clusters: string[]; workloads: TargetWorkloads[] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const namespace = String(app.metadata.namespace ?? '');
  const name = String(app.metadata.name ?? '');
  const [open, setOpen] = useState(false);
  const [image, setImage] = useState('');
  const [kind, setKind] = useState<PolicyKind>('semver');
  const [range, setRange] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [insecure, setInsecure] = useState(false);
  const [manual, setManual] = useState<string[]>([]);
  const [proposal, setProposal] = useState<ImageSetupResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const git = !!app.spec.kustomize && app.spec.source.kind === 'GitRepository';
  const [seen, setSeen] = useState<TargetWorkloads[]>(workloads);
  const suggestions = useMemo(() => imageSuggestions(app, seen), [app, seen]);
  const start = async () => {
    let live = workloads;
    try {
      live = await qc.fetchQuery(keys.sub('applications', HOST, namespace, name, 'workloads'), () =>
        get<TargetWorkloads[]>(resourcePath('applications', namespace, name, 'workloads')),
      );
    } catch {
      // Suggestions from the values only.
    }
    setSeen(live);
    const first = imageSuggestions(app, live)[0];
    setImage(first?.name ?? '');
    setRange(suggestedRange(first?.tag));
    setInsecure(!!first && /^(localhost|127\.|\[::1\])/.test(first.name));
    setProposal(null);
    setError(null);
    setOpen(true);
  };
  const body = (confirm: boolean) => ({
    image,
    policy: kind === 'semver' ? { semver: { range } } : { [kind]: { order: 'asc' } },
    insecure,
    credentials: username ? { type: 'basic', username, password } : undefined,
    manual: git ? [] : manual,
    confirm,
  });
  const send = async (confirm: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = await post<ImageSetupResult>(resourcePath('applications', namespace, name, 'images'), body(confirm));
      if (confirm) {
        notify.success(t('Image automation set up for {{image}}', { image }));
        setOpen(false);
        void qc.invalidateQueries(['flux', 'applications']);
      } else setProposal(r);
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  return (
    <>
      <Button size="sm" onClick={() => void start()} data-testid="automate-image">
        {t('Automate an image')}
      </Button>
      <Modal
        visible={open}
        width={720}
        title={t('Automate an image')}
        onCancel={() => setOpen(false)}
        onOk={() => void send(proposal !== null)}
        okText={proposal ? t('Confirm') : t('Preview')}
        cancelText={t('Cancel')}
        confirmLoading={busy}
        destroyOnClose
      >
        <div data-testid="automate-form" style={{ display: 'grid', gap: 8, padding: '12px 20px', minWidth: 0 }}>
          <label>
            {t('Image')}
            <Input name="image" value={image} onChange={(e: ChangeEvent<HTMLInputElement>) => (setImage(e.target.value), setProposal(null))} list="found-images" />
            <datalist id="found-images">
              {suggestions.map((s) => (
                <option key={s.name} value={s.name} />
              ))}
            </datalist>
          </label>
          <label>
            {t('Policy')}
            <NativeSelect name="policy-kind" value={kind} onChange={(e: ChangeEvent<HTMLSelectElement>) => (setKind(e.target.value as PolicyKind), setProposal(null))}>
              <option value="semver">{t('Semantic versions in a range')}</option>
              <option value="alphabetical">{t('Latest by name')}</option>
              <option value="numerical">{t('Highest number')}</option>
            </NativeSelect>
          </label>
          {kind === 'semver' && (
            <label>
              {t('Range')}
              <Input name="range" value={range} onChange={(e: ChangeEvent<HTMLInputElement>) => (setRange(e.target.value), setProposal(null))} />
            </label>
          )}
          <details>
            <summary>{t('Registry credentials')}</summary>
            <label>
              {t('Username')}
              <Input name="registry-username" value={username} onChange={(e: ChangeEvent<HTMLInputElement>) => setUsername(e.target.value)} />
            </label>
            <label>
              {t('Password')}
              <Input name="registry-password" type="password" value={password} onChange={(e: ChangeEvent<HTMLInputElement>) => setPassword(e.target.value)} />
            </label>
            <label>
              <input type="checkbox" name="insecure" checked={insecure} onChange={(e: ChangeEvent<HTMLInputElement>) => setInsecure(e.target.checked)} />{' '}
              {t('The registry speaks plain HTTP')}
            </label>
          </details>
          {!git && clusters.length > 0 && (
            <fieldset>
              <legend>{t('Clusters that take new tags only when promoted')}</legend>
              {clusters.map((c) => (
                <label key={c} style={{ marginRight: 12 }}>
                  <input
                    type="checkbox"
                    name={`manual-${c}`}
                    checked={manual.includes(c)}
                    onChange={(e: ChangeEvent<HTMLInputElement>) => (setManual(e.target.checked ? [...manual, c] : manual.filter((m) => m !== c)), setProposal(null))}
                  />{' '}
                  {c}
                </label>
              ))}
            </fieldset>
          )}
          <ErrorNote error={error} />
          {proposal?.commit && (
            <div data-testid="marker-commit">
              <p>
                {t('ksflux will commit to branch {{branch}} after {{parent}}:', {
                  branch: proposal.commit.branch,
                  parent: proposal.commit.parent.slice(0, 8),
                })}
              </p>
              <pre style={{ whiteSpace: 'pre-wrap', fontSize: 12, background: '#f9fbfd', padding: 8 }}>{proposal.commit.message}</pre>
              {proposal.commit.files.map((f) => (
                <div key={f.path}>
                  <Mono>{f.path}</Mono>
                  <pre style={{ fontSize: 12, overflowX: 'auto', maxWidth: '100%', background: '#f9fbfd', padding: 8 }}>
                    {f.changes.map((c) => `@@ ${c.line}\n- ${c.before}\n+ ${c.after}\n`).join('')}
                  </pre>
                </div>
              ))}
              <p className="muted">
                {t('Then image-automation-controller commits each new tag the policy picks, and every target applies it.')}
              </p>
            </div>
          )}
          {proposal && !proposal.commit && (
            <div data-testid="setup-diff">
              <p>{t('ksflux will set each cluster’s tag in the application:')}</p>
              <DiffList diff={proposal.diff} />
            </div>
          )}
        </div>
      </Modal>
    </>
  );
}

/** The images panel of an application. */
export function ImagesPanel({ app, clusters }: { app: ApplicationView; clusters: string[] }) {
  const { t } = useTranslation();
  const namespace = String(app.metadata.namespace ?? '');
  const name = String(app.metadata.name ?? '');
  const version = String(app.metadata.resourceVersion ?? '');
  const chainsKey = keys.sub('applications', HOST, namespace, name, 'images');
  const chains = useQuery(chainsKey, () => get<ImageChain[]>(resourcePath('applications', namespace, name, 'images')), {
    enabled: !!name,
    refetchInterval: 15_000,
  });
  // An edit of the application (a promotion, the follower moving a tag) reads the chain again.
  const { refetch } = chains;
  useEffect(() => {
    if (version) void refetch();
  }, [version, refetch]);
  // What the workloads run: read while a chain is shown (the Workloads view shares it).
  const list = Array.isArray(chains.data) ? chains.data : [];
  const workloadsKey = keys.sub('applications', HOST, namespace, name, 'workloads');
  const workloads =
    useQuery(workloadsKey, () => get<TargetWorkloads[]>(resourcePath('applications', namespace, name, 'workloads')), {
      enabled: list.length > 0,
    }).data ?? [];
  return (
    <div data-testid="images-panel">
      <Toolbar>
        <h2 style={{ margin: 0, flex: 1 }}>{t('Images')}</h2>
        <Automate app={app} clusters={clusters} workloads={workloads} />
      </Toolbar>
      <ErrorNote error={chains.error} />
      {list.map((c) => (
        <Chain key={c.policy} app={app} chain={c} workloads={workloads} />
      ))}
      {chains.isSuccess && list.length === 0 && (
        <p className="muted">
          {app.spec.kustomize && app.spec.source.kind === 'GitRepository'
            ? t('Images are updated by commits to the source; automate one to set that up.')
            : t('No image is automated.')}
        </p>
      )}
    </div>
  );
}
