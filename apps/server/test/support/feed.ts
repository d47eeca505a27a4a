import { basic } from './http';

/** A live revocation feed subscription (SSE): events as they arrive, and whether the stream ended. */
export interface FeedSubscription {
  status: number;
  contentType: string | null;
  events: Array<{ id: string; data: any }>;
  /** True once the server ended the stream. */
  readonly hasEnded: boolean;
  close(): void;
}

/** Subscribes to a revocation feed as a client; `lastEventId` resumes after that event. */
export async function subscribeFeed(
  feedUrl: string,
  auth: { clientId: string; secret: string },
  lastEventId?: string,
): Promise<FeedSubscription> {
  const ctrl = new AbortController();
  const res = await fetch(feedUrl, {
    headers: {
      accept: 'text/event-stream',
      authorization: basic(auth.clientId, auth.secret),
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    signal: ctrl.signal,
  });
  const sub = {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events: [] as FeedSubscription['events'],
    hasEnded: false,
  };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const chunk = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const id = /^id: (.*)$/m.exec(chunk)?.[1];
          const data = /^data: (.*)$/m.exec(chunk)?.[1];
          if (id && data) sub.events.push({ id, data: JSON.parse(data) });
        }
      }
      sub.hasEnded = true;
    } catch {
      // aborted by close(), or the connection was cut
    }
  })();
  return Object.assign(sub, { close: () => ctrl.abort() });
}
