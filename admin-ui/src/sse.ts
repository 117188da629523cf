// Server-Sent Events of a job or run: each message is one JSON object. The stream ends when `last` says the
// watched thing ended; a dropped connection reconnects (the server sends the current state first, so
// nothing is missed), with a growing pause, until the caller stops watching.

export interface Watch {
  close(): void;
}

export function watch<T>(
  url: string,
  onEvent: (event: T) => void,
  last: (event: T) => boolean,
  onConnection?: (connected: boolean) => void,
): Watch {
  let source: EventSource | null = null;
  let closed = false;
  let retry = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    if (closed) return;
    source = new EventSource(url);
    source.onopen = () => {
      retry = 500;
      onConnection?.(true);
    };
    source.onmessage = (m) => {
      const event = JSON.parse(m.data) as T;
      onEvent(event);
      if (last(event)) stop();
    };
    source.onerror = () => {
      source?.close();
      if (closed) return;
      onConnection?.(false);
      timer = setTimeout(open, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };

  const stop = () => {
    closed = true;
    clearTimeout(timer);
    source?.close();
  };

  open();
  return { close: stop };
}
