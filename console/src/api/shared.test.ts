import { describe, expect, it, vi } from 'vitest';
import { onTabMessage } from './shared';
import type { ObjectChange } from './types';

const change: ObjectChange = {
  type: 'applied',
  cluster: 'host',
  kind: 'GitRepository',
  namespace: 'team-a',
  name: 'samples',
  resourceVersion: '7',
  summary: { state: 'ready', ready: 'True', suspended: false, reconcileHandled: true },
};

describe('messages between tabs', () => {
  const handlers = () => ({ onChange: vi.fn(), onResync: vi.fn(), onConnected: vi.fn() });

  it('hand changes, resyncs and the connection state to the listening tab', () => {
    const h = handlers();
    expect(onTabMessage({ type: 'change', change }, null, h)).toBeNull();
    expect(h.onChange).toHaveBeenCalledWith(change);
    onTabMessage({ type: 'resync' }, null, h);
    expect(h.onResync).toHaveBeenCalledTimes(1);
    onTabMessage({ type: 'connected', up: true }, null, h);
    expect(h.onConnected).toHaveBeenCalledWith(true);
  });

  it('answer a joining tab with the state only from the leader', () => {
    expect(onTabMessage({ type: 'hello' }, null, handlers())).toBeNull();
    expect(onTabMessage({ type: 'hello' }, true, handlers())).toEqual({ type: 'connected', up: true });
    expect(onTabMessage({ type: 'hello' }, false, handlers())).toEqual({ type: 'connected', up: false });
  });
});
