// The SDK's own Server-Sent Events parser, on the cases the WHATWG rules name.
import { expect, it } from 'vitest';
import { createSseParser, type SseEvent } from '../../client/sse.js';

function parse(chunks: string[]): { events: SseEvent[]; retries: number[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const parser = createSseParser({ event: (e) => events.push(e), retry: (ms) => retries.push(ms) });
  for (const c of chunks) parser.feed(c);
  return { events, retries };
}

it('reads events split anywhere, with any line ending, joining data lines and skipping comments', () => {
  const { events, retries } = parse([': keep-alive\n\nid: 7\r', '\nevent: status\ndata: {"a":', '1}\ndata:second\r\rretry: 1500\nretry: soon\n\ndata', '\n\n']);
  expect(events).toEqual([
    { event: 'status', data: '{"a":1}\nsecond', id: '7' },
    { event: 'message', data: '', id: undefined },
  ]);
  expect(retries).toEqual([1500]);
});

it('dispatches nothing for an event without data, and nothing before its blank line', () => {
  expect(parse(['event: done\nid: 3\n\n']).events).toEqual([]);
  expect(parse(['event: done\ndata: {}\n']).events).toEqual([]);
});
