// Wakes a worker when a queue marker falls due: LISTEN on a session connection of its own, NOTIFY
// from the insert's trigger (schema.ts). Notifications are a shortcut, never the only way: a lost
// connection is logged and reconnected with backoff while the worker's poll carries pickup, and
// each (re)connect wakes the worker once for whatever was written while nobody listened.
import type { Client } from 'pg';
import type { Logger } from '../../logger.js';
import { parseQueueMarker } from '../keys.js';
import { MINUTE, SECOND } from '../../time.js';

/** Reconnect backoff: doubles from the first to the cap. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 10 * SECOND;
/** A silently dead TCP connection is noticed by this check at the latest. */
const HEALTH_CHECK_MS = 30 * SECOND;
/** Future markers (retries after backoff) remembered to wake on time; beyond this the poll finds them. */
const MAX_TIMED = 10_000;

export type WatchState = 'connecting' | 'listening' | 'lost' | 'stopped';

export interface DueJobRef {
  projectId: string;
  jobId: string;
}

export interface DueWatcherOptions {
  connect(): Promise<Client>;
  channel: string;
  /** With a job: that new job is due (claim it without scanning); without: scan the queue. */
  onDue(job?: DueJobRef): void;
  log: Logger;
  now?: () => number;
}

export class DueWatcher {
  state: WatchState = 'connecting';
  /** Connections made after the first (a test and doctor read it). */
  reconnects = 0;
  private client: Client | null = null;
  private retryMs = RECONNECT_FIRST_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private health: NodeJS.Timeout | null = null;
  /** Wake-ups remembered for later: when, and the new job (if any) to hint. */
  private readonly timed = new Map<number, Array<DueJobRef | undefined>>();
  private timedCount = 0;
  private dueTimer: { at: number; timer: NodeJS.Timeout } | null = null;
  private connects = 0;

  constructor(private readonly opts: DueWatcherOptions) {}

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.health) clearInterval(this.health);
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    let client: Client | null = null;
    try {
      client = await this.opts.connect();
      client.on('error', (err) => this.lost(client!, err));
      client.on('end', () => this.lost(client!, new Error('connection ended')));
      client.on('notification', (msg) => this.notified(msg.payload));
      await client.connect();
      await client.query(`listen "${this.opts.channel}"`);
    } catch (err) {
      client?.end().catch(() => undefined);
      this.opts.log.warn({ err, retryInMs: this.retryMs }, 'due notifications: could not listen; pickup falls back to the poll');
      this.scheduleReconnect();
      return;
    }
    if (this.state !== 'connecting') {
      await client.end().catch(() => undefined); // stopped meanwhile
      return;
    }
    this.client = client;
    this.state = 'listening';
    this.retryMs = RECONNECT_FIRST_MS;
    if (this.connects++ > 0) {
      this.reconnects++;
      this.opts.log.info({ channel: this.opts.channel, reconnects: this.reconnects }, 'due notifications: listening again');
    } else {
      this.opts.log.info({ channel: this.opts.channel }, 'due notifications: on (the poll stays as the backstop)');
    }
    this.health = setInterval(() => {
      client.query('select 1').catch((err: unknown) => this.lost(client, err));
    }, HEALTH_CHECK_MS).unref();
    this.opts.onDue(); // whatever was written while nobody listened
  }

  private lost(client: Client, err: unknown): void {
    if (this.client !== client || this.state === 'stopped') return;
    this.client = null;
    this.state = 'lost';
    if (this.health) clearInterval(this.health);
    client.end().catch(() => undefined);
    this.opts.log.warn({ err, retryInMs: this.retryMs }, 'due notifications: connection lost; pickup falls back to the poll until it is back');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state === 'stopped') return;
    this.state = 'lost';
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  /** 'j {projectId}/{jobId} {runAfter}' (a new job) or 'q {marker name}' (a job back in the queue). */
  private notified(payload: string | undefined): void {
    const now = (this.opts.now ?? Date.now)();
    const [type, what = '', runAfter = ''] = (payload ?? '').split(' ');
    let job: DueJobRef | undefined;
    let runAfterMs: number | undefined;
    if (type === 'j') {
      const [projectId, jobId] = what.split('/');
      if (projectId && jobId) job = { projectId, jobId };
      runAfterMs = Date.parse(runAfter);
    } else if (type === 'q') {
      runAfterMs = parseQueueMarker(what)?.runAfterMs;
    }
    if (runAfterMs === undefined || Number.isNaN(runAfterMs) || runAfterMs <= now) return this.opts.onDue(job);
    if (runAfterMs - now > 10 * MINUTE || this.timedCount >= MAX_TIMED) return; // the poll has it
    const list = this.timed.get(runAfterMs) ?? [];
    list.push(job);
    this.timed.set(runAfterMs, list);
    this.timedCount++;
    this.armTimer(now);
  }

  /** One timer, for the earliest remembered time. */
  private armTimer(now: number): void {
    if (this.timed.size === 0 || this.state === 'stopped') return;
    const at = Math.min(...this.timed.keys());
    if (this.dueTimer && this.dueTimer.at <= at) return;
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    const timer = setTimeout(
      () => {
        this.dueTimer = null;
        const t = (this.opts.now ?? Date.now)();
        for (const [x, jobs] of this.timed) {
          if (x > t) continue;
          this.timed.delete(x);
          this.timedCount -= jobs.length;
          for (const job of jobs) this.opts.onDue(job);
        }
        this.armTimer(t);
      },
      Math.max(0, at - now),
    );
    timer.unref();
    this.dueTimer = { at, timer };
  }
}
