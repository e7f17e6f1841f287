/**
 * One change stream for every tab of the console. Browsers allow a few connections per host
 * over HTTP/1.1 (six in Chromium), and each tab's stream holds one open, so many tabs would
 * starve each other. Here the tabs elect a leader with the Web Locks API: the tab holding the
 * lock runs the stream (`subscribe` of `events.ts`) and forwards every change, resync and
 * connection state on a BroadcastChannel; the others only listen. When the leader's tab
 * closes its lock is released and another tab takes over, and every tab reads its lists again
 * (changes may have passed while no stream ran). A tab that joins asks the leader for the
 * connection state. Without Web Locks or BroadcastChannel each tab streams itself.
 */
import { getToken } from './client';
import { subscribe } from './events';
import type { ObjectChange } from './types';

/** A message between the tabs. */
export type TabMessage =
  | { type: 'change'; change: ObjectChange }
  | { type: 'resync' }
  | { type: 'connected'; up: boolean }
  | { type: 'hello' };

/** The channel and lock names, per login (tabs of another user do not share). */
function names(): { channel: string; lock: string } {
  const token = getToken() ?? '';
  let h = 0;
  for (let i = 0; i < token.length; i++) h = (h * 31 + token.charCodeAt(i)) | 0;
  const key = `ksflux-events-${(h >>> 0).toString(36)}`;
  return { channel: key, lock: `${key}-leader` };
}

/** Handles a message from another tab; returns what to answer (the leader answers `hello`). */
export function onTabMessage(
  m: TabMessage,
  leaderState: boolean | null,
  handlers: { onChange: (c: ObjectChange) => void; onResync: () => void; onConnected: (up: boolean) => void },
): TabMessage | null {
  switch (m.type) {
    case 'change':
      handlers.onChange(m.change);
      return null;
    case 'resync':
      handlers.onResync();
      return null;
    case 'connected':
      handlers.onConnected(m.up);
      return null;
    case 'hello':
      return leaderState === null ? null : { type: 'connected', up: leaderState };
  }
}

/** Subscribes to the change stream shared by the tabs; returns the function that stops it. */
export function subscribeShared(
  onChange: (c: ObjectChange) => void,
  onResync: () => void,
  onConnected: (up: boolean) => void = () => undefined,
): () => void {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (typeof BroadcastChannel === 'undefined' || !locks) return subscribe(onChange, onResync, onConnected);
  const { channel: channelName, lock } = names();
  const channel = new BroadcastChannel(channelName);
  /** The leader's connection state; `null` while this tab is not the leader. */
  let leading: boolean | null = null;
  let stopStream: (() => void) | null = null;
  let release: (() => void) | null = null;
  const handlers = { onChange, onResync, onConnected };
  /** Whether this subscriber has streamed before: its first connection as the leader
   * reads the lists again, since changes may have passed while no stream ran. */
  let resynced = false;
  channel.onmessage = (e: MessageEvent<TabMessage>) => {
    const answer = onTabMessage(e.data, leading, handlers);
    if (answer) channel.postMessage(answer);
  };
  const abort = new AbortController();
  locks
    .request(lock, { signal: abort.signal }, () => {
      leading = false;
      stopStream = subscribe(
        (c) => {
          onChange(c);
          channel.postMessage({ type: 'change', change: c } satisfies TabMessage);
        },
        () => {
          onResync();
          channel.postMessage({ type: 'resync' } satisfies TabMessage);
        },
        (up) => {
          leading = up;
          onConnected(up);
          channel.postMessage({ type: 'connected', up } satisfies TabMessage);
          if (up && !resynced) {
            resynced = true;
            onResync();
            channel.postMessage({ type: 'resync' } satisfies TabMessage);
          }
        },
      );
      // Hold the lock until this tab stops.
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    })
    .catch(() => undefined);
  channel.postMessage({ type: 'hello' } satisfies TabMessage);
  return () => {
    abort.abort();
    stopStream?.();
    release?.();
    channel.close();
  };
}
