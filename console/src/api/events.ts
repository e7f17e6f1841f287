/**
 * Live changes: reads `/status/events` (Server-Sent Events) with `fetch`, so the login token
 * travels in the Authorization header (EventSource cannot send it). Reconnects with backoff;
 * after a reconnect or a `lagged` event the caller re-reads its lists (`onResync`). Each
 * event's data is checked against `ObjectChange` before it is handed on.
 */
import { getToken, url } from './client';
import type { ObjectChange } from './types';
import { parseChange } from './validate';

/** Parses a chunk of an event stream; returns complete events and the unparsed rest. */
export function parseEvents(buffer: string): { events: { event: string; data: string }[]; rest: string } {
  const events: { event: string; data: string }[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/** What a subscription asks for. */
export interface SubscribeOptions {
  /** Also the changes of workloads and pods where Flux applies them. */
  workloads?: boolean;
}

/** Subscribes to changes; returns the function that stops it. */
export function subscribe(
  onChange: (c: ObjectChange) => void,
  onResync: () => void,
  onConnected: (up: boolean) => void = () => undefined,
  options: SubscribeOptions = {},
): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  let delay = 1000;
  let first = true;

  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream' };
        const token = getToken();
        if (token) headers.Authorization = `Bearer ${token}`;
        const path = options.workloads ? '/status/events?workloads=true' : '/status/events';
        const res = await fetch(url(path), { headers, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        onConnected(true);
        if (!first) onResync();
        first = false;
        delay = 1000;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          const parsed = parseEvents(buffer);
          buffer = parsed.rest;
          for (const e of parsed.events) {
            if (e.event === 'lagged') {
              onResync();
              continue;
            }
            // Invalid payloads are logged and dropped.
            const change = parseChange(e.data);
            if (change) onChange(change);
          }
        }
      } catch {
        if (stopped) return;
      }
      onConnected(false);
      first = false;
      if (stopped) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
