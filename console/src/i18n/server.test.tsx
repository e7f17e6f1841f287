import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import i18n from './index';
import { render } from '@testing-library/react';
import { messageText, reasonText, ServerReason } from './server';

describe('server text in Simplified Chinese', () => {
  beforeAll(async () => {
    await i18n.changeLanguage('zh-CN');
  });
  afterAll(async () => {
    await i18n.changeLanguage('en');
  });
  const t = i18n.t.bind(i18n);

  it('says known reasons in Chinese and leaves unknown ones as written', () => {
    expect(reasonText('ReconciliationSucceeded', t)).toBe('协调成功');
    expect(reasonText('ClusterUnreachable', t)).toBe('集群无法访问');
    expect(reasonText('SomethingNew', t)).toBe('SomethingNew');
    expect(reasonText(undefined, t)).toBe('');
  });

  it('marks a reason it does not know as English, so it is not taken for untranslated text', () => {
    const unknown = render(ServerReason({ reason: 'SomethingNew' }) ?? <></>);
    expect(unknown.container.querySelector('span[lang=en]')?.textContent).toBe('SomethingNew');
    const known = render(ServerReason({ reason: 'Failed' }) ?? <></>);
    expect(known.container.textContent).toBe('失败');
    expect(known.container.querySelector('[lang]')).toBeNull();
  });

  it('says the messages ksflux writes again with their arguments', () => {
    expect(messageText('2/3 targets ready', t)).toBe('2/3 个目标就绪');
    expect(messageText('waits for rollout wave production', t)).toBe('等待发布批次 production');
    expect(
      messageText('cluster "member-4" is not registered; its Flux objects are suspended until it is registered again', t),
    ).toBe('集群 member-4 未注册；其 Flux 对象已暂停，重新注册后恢复');
    expect(
      messageText(
        'cluster member-2 is unreachable (unreachable: no answer within 1.5s); last known: Ready=True (ReconciliationSucceeded)',
        t,
      ),
    ).toBe('集群 member-2 无法访问（无法访问：1.5s 内无应答）；最后已知：Ready=True (ReconciliationSucceeded)');
  });

  it('keeps a target prefix and translates what follows, and leaves what it does not know', () => {
    expect(messageText('member-1: Applied revision: main@sha1:0123abc', t)).toBe('member-1：已应用版本：main@sha1:0123abc');
    expect(messageText('member-1/team-a: Helm upgrade succeeded for release team-a/web.v2 with chart demo@0.2.0', t)).toBe(
      'member-1/team-a：Helm 升级成功：release team-a/web.v2，chart demo@0.2.0',
    );
    expect(messageText('member-1: kustomization path not found', t)).toBe('member-1: kustomization path not found');
    expect(messageText('wave staging failed: member-1: 1 pod(s) CrashLoopBackOff', t)).toBe(
      '批次 staging 失败：member-1: 1 pod(s) CrashLoopBackOff',
    );
  });

  it('leaves English as the server wrote it', async () => {
    await i18n.changeLanguage('en');
    expect(messageText('cluster "member-4" is not registered', t)).toBe('cluster "member-4" is not registered');
    expect(reasonText('ClusterUnreachable', t)).toBe('ClusterUnreachable');
    await i18n.changeLanguage('zh-CN');
  });
});
