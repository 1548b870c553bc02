// The Postgres store batches the calls of one turn into one statement per kind: fewer round trips,
// the same answer and the same error for each call as when it was sent alone.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreConflictError } from '../../shared/errors.js';
import { loadPg } from '../../shared/store/postgres/sql.js';
import { type PostgresFixture, postgresFixture } from '../helpers/postgres.js';

describe('PostgresObjectStore batching', () => {
  let fx: PostgresFixture;
  beforeAll(async () => {
    fx = await postgresFixture();
  });
  afterAll(() => fx?.cleanup());
  afterEach(() => vi.restoreAllMocks());

  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  async function statementsDuring(run: () => Promise<unknown>): Promise<number> {
    const spy = vi.spyOn((await loadPg()).Pool.prototype, 'query');
    await run();
    const n = spy.mock.calls.length;
    spy.mockRestore();
    return n;
  }

  it('sends the reads, writes, creates and deletes of one turn as a few statements, each call answered as if alone', async () => {
    await Promise.all(range(40).map((i) => fx.store.put(`b1/old-${i}`, `old ${i}`)));
    let answers: unknown[] = [];
    const sent = await statementsDuring(async () => {
      answers = await Promise.all([
        ...range(40).map((i) => fx.store.get(`b1/old-${i}`).then((o) => o?.body.toString())),
        ...range(40).map((i) => fx.store.get(`b1/missing-${i}`)),
        ...range(40).map((i) => fx.store.put(`b1/new-${i}`, Buffer.from([i, 0, 255]), { contentType: 'application/x-test' })),
        ...range(40).map((i) => fx.store.put(`b1/created-${i}`, `c${i}`, { createOnly: true })),
        ...range(40).map((i) => fx.store.delete(i % 2 ? `b1/old-${i}` : `b1/never-${i}`)),
      ]);
    });
    expect(answers.slice(0, 40)).toEqual(range(40).map((i) => `old ${i}`));
    expect(answers.slice(40, 80)).toEqual(range(40).map(() => null));
    expect(sent).toBeLessThanOrEqual(8); // 200 calls; one statement per kind and pool slot at most
    for (const i of range(40)) {
      const put = await fx.store.get(`b1/new-${i}`);
      expect(put?.body).toEqual(Buffer.from([i, 0, 255]));
      expect(put?.contentType).toBe('application/x-test');
      expect((await fx.store.get(`b1/created-${i}`))?.body.toString()).toBe(`c${i}`);
      expect(await fx.store.get(`b1/old-${i}`)).toEqual(i % 2 ? null : expect.objectContaining({ body: Buffer.from(`old ${i}`) }));
    }
  });

  it('refuses in a batch exactly the creates whose keys exist, and changes none of them', async () => {
    await Promise.all(range(5).map((i) => fx.store.put(`b2/k-${i * 4}`, 'first')));
    const outcomes = await Promise.allSettled(range(20).map((i) => fx.store.put(`b2/k-${i}`, 'second', { createOnly: true })));
    const refused = range(20).filter((i) => outcomes[i]!.status === 'rejected');
    expect(refused).toEqual([0, 4, 8, 12, 16]);
    for (const i of refused) expect((outcomes[i] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
    for (const i of range(20)) expect((await fx.store.get(`b2/k-${i}`))?.body.toString()).toBe(i % 4 === 0 ? 'first' : 'second');
  });

  it('lets one create of a key win when the same turn creates it twice', async () => {
    const outcomes = await Promise.allSettled([fx.store.put('b3/k', 'a', { createOnly: true }), fx.store.put('b3/k', 'b', { createOnly: true })]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = outcomes[0]!.status === 'fulfilled' ? 'a' : 'b';
    expect((await fx.store.get('b3/k'))?.body.toString()).toBe(winner);
  });

  it('fails only the call whose item the database refuses; the rest of its batch lands', async () => {
    const outcomes = await Promise.allSettled([
      ...range(5).map((i) => fx.store.put(`b4/ok-${i}`, 'ok')),
      fx.store.put('b4/bad', 'x', { contentType: 'text/plain\u0000' }), // Postgres text cannot hold NUL
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    for (const i of range(5)) expect((await fx.store.get(`b4/ok-${i}`))?.body.toString()).toBe('ok');
    expect(await fx.store.get('b4/bad')).toBeNull();
  });

  it('sends the moves of one turn as one statement, each answered as if alone: moved, nothing there, or its target taken', async () => {
    await Promise.all([...range(30).map((i) => fx.store.put(`b7/a-${i}`, `m${i}`)), fx.store.put('b7/b-7', 'taken')]);
    let answers: Array<PromiseSettledResult<boolean>> = [];
    const sent = await statementsDuring(async () => {
      answers = await Promise.allSettled([...range(30).map((i) => fx.store.move(`b7/a-${i}`, `b7/b-${i}`)), fx.store.move('b7/none', 'b7/c')]);
    });
    // One batch, refused whole for b-7, then each move alone: the others land, b-7 is a conflict.
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : a.reason instanceof StoreConflictError ? 'conflict' : a.reason))).toEqual([
      ...range(30).map((i) => (i === 7 ? 'conflict' : true)),
      false,
    ]);
    for (const i of range(30)) {
      expect((await fx.store.get(`b7/b-${i}`))?.body.toString()).toBe(i === 7 ? 'taken' : `m${i}`);
      expect(await fx.store.get(`b7/a-${i}`)).toEqual(i === 7 ? expect.objectContaining({ body: Buffer.from('m7') }) : null);
    }
    expect(await fx.store.get('b7/c')).toBeNull();
    expect(sent).toBeLessThanOrEqual(1 + 31); // the refused batch, then one statement per move

    const clean = await statementsDuring(() => Promise.all(range(30).map((i) => fx.store.move(`b7/b-${i}`, `b7/d-${i}`))));
    expect(clean).toBe(1);
  });

  it('never deadlocks two batches in flight that write the same rows', async () => {
    const pg = await loadPg();
    const real = pg.Pool.prototype.query;
    const failures: unknown[] = [];
    vi.spyOn(pg.Pool.prototype, 'query').mockImplementation(function (this: unknown, ...args: unknown[]) {
      const sent = (real as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      sent.catch((err: unknown) => failures.push(err));
      return sent;
    } as never);
    for (let round = 0; round < 3; round++) {
      // The second call on each key waits for the next batch, which goes out beside the first: the
      // two write the same 200 rows, the calls of the second made in the opposite order.
      const keys = range(200).map((i) => `b6/k-${String(i).padStart(3, '0')}`);
      await Promise.all([...keys.map((k) => fx.store.put(k, 'first')), ...keys.reverse().map((k) => fx.store.put(k, 'second'))]);
    }
    expect(failures).toEqual([]);
  });

  it('settles each call of a batch whose answer was lost after it was committed: its creates are still ours', async () => {
    const pg = await loadPg();
    const real = pg.Pool.prototype.query;
    let lost = 0;
    vi.spyOn(pg.Pool.prototype, 'query').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      const result = await (real as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      if (lost++ === 0) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      return result;
    } as never);
    const outcomes = await Promise.allSettled(range(10).map((i) => fx.store.put(`b5/lease-${i}`, `token ${i}`, { createOnly: true })));
    expect(outcomes.map((o) => o.status)).toEqual(range(10).map(() => 'fulfilled'));
    vi.restoreAllMocks();
    // And a create of a key someone else holds is still refused after such a loss.
    await expect(fx.store.put('b5/lease-3', 'another token', { createOnly: true })).rejects.toBeInstanceOf(StoreConflictError);
  });
});
