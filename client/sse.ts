// A Server-Sent Events parser after the WHATWG rules (line ends \n, \r\n or \r; `data` lines joined
// with \n; comments skipped; `retry` only when all digits), kept here so the SDK needs no package.
export interface SseEvent {
  /** `message` when the event names none. */
  event: string;
  data: string;
  /** The event's own `id` field, if it had one. */
  id: string | undefined;
}

export function createSseParser(on: { event(e: SseEvent): void; retry?(ms: number): void }): { feed(chunk: string): void } {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;

  const dispatch = () => {
    if (data.length > 0) on.event({ event: event || 'message', data: data.join('\n'), id });
    data = [];
    event = '';
    id = undefined;
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) on.retry?.(Number(value));
  };

  return {
    feed(chunk: string) {
      buffer += chunk;
      for (;;) {
        const end = buffer.search(/[\r\n]/);
        if (end < 0) return;
        // A \r at the end of a chunk may be the first half of \r\n: wait for the next chunk.
        if (buffer[end] === '\r' && end === buffer.length - 1) return;
        const width = buffer[end] === '\r' && buffer[end + 1] === '\n' ? 2 : 1;
        line(buffer.slice(0, end));
        buffer = buffer.slice(end + width);
      }
    },
  };
}
