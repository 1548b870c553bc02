// Retention: finished jobs older than their time to live go, with their images, previews, leases and
// cancel requests. Only terminal jobs are touched (a terminal job never changes again), and the
// document goes last, so a prune cut short (time budget, crash) is simply finished by the next one.
// The worker runs it on a timer and the daily cron runs it too; stalled jobs never wait for either.
import { CorruptDocumentError } from '../errors.js';
import { timeOfJobId, timeOfUploadId } from '../ids.js';
import { parseJsonOrNull } from '../json.js';
import { idOfSegment, parseQueueMarker } from '../store/keys.js';
import { markerProject, ORPHAN_MARKER_AGE_MS } from './markers.js';
import { ownerScope, pruneSlotHistory } from './slots.js';
import { readLease } from './lease.js';
import type { JobDocument } from '../job/document.js';
import { isTerminal } from '../job/status.js';
import { keys } from '../store/keys.js';
import { listAll, listAllFolders } from '../store/object-store.js';
import type { QueueDeps } from './deps.js';
import { readJob } from '../job/job-docs.js';
import { webhookLogKey } from '../webhooks/deliveries.js';
import { idempotencyKeyHash } from './idempotency.js';
import { pruneGrants } from '../uploads/grants.js';

export interface PruneReport {
  /** Job documents old enough to be looked at. */
  examined: number;
  pruned: number;
  /** Objects deleted, documents included. */
  deleted: number;
  /** True when the deadline stopped the prune before it had looked at everything. */
  cutShort: boolean;
  /** Objects whose job is gone (or never came to be), deleted; null if the deadline came first. */
  orphans?: number | null;
}

export async function pruneExpired(deps: QueueDeps, opts: { retentionMs: number; deadlineMs: number }): Promise<PruneReport> {
  const report: PruneReport = { examined: 0, pruned: 0, deleted: 0, cutShort: false };
  const cutoff = deps.now() - opts.retentionMs;
  const overTime = () => deps.now() >= opts.deadlineMs;
  for await (const project of listAllFolders(deps.store, 'jobs/')) {
    const projectId = idOfSegment(project.name);
    if (projectId === null) {
      deps.log.warn({ folder: project.key }, 'prune: a folder from before case-safe keys; run `render-jobs migrate-keys`');
      continue;
    }
    // Listed first, deleted after: deleting while paging by offset would skip entries.
    const old: string[] = [];
    for await (const entry of listAll(deps.store, `${project.key}/`)) {
      const jobId = idOfSegment(entry.name.replace(/\.json$/, ''));
      if (jobId === null) continue;
      const created = timeOfJobId(jobId);
      // A job cannot have finished before it was created: younger ones need no read.
      if (created !== null && created <= cutoff) old.push(jobId);
    }
    for (const jobId of old) {
      if (overTime()) return { ...report, cutShort: true, orphans: null };
      report.examined += 1;
      const doc = await readJob(deps.store, projectId, jobId).catch((err: unknown) => {
        if (err instanceof CorruptDocumentError) deps.log.error({ err, jobId }, 'prune: unreadable job document left in place');
        else throw err;
        return null;
      });
      if (!doc || !expired(doc, cutoff)) continue;
      report.deleted += await deleteJob(deps, doc);
      report.pruned += 1;
    }
  }
  report.orphans = await pruneOrphans(deps, { cutoff, overTime });
  if (report.orphans === null) report.cutShort = true;
  if (report.pruned > 0 || report.orphans) deps.log.info(report, 'pruned expired jobs');
  return report;
}

function expired(doc: JobDocument, cutoff: number): boolean {
  return isTerminal(doc.status) && Date.parse(doc.completedAt ?? doc.updatedAt) <= cutoff;
}

async function deleteJob(deps: QueueDeps, doc: JobDocument): Promise<number> {
  const dependents = [
    doc.result?.key,
    doc.previewKey,
    keys.cancel(doc.jobId),
    keys.charge(doc.projectId, doc.jobId),
    doc.idempotencyKey ? keys.idempotency(doc.projectId, idempotencyKeyHash(doc.ownerId, doc.idempotencyKey)) : null,
    doc.webhook ? webhookLogKey(doc.jobId) : null,
    doc.ownerId !== null ? keys.ownerJob(ownerScope(doc.ownerId), doc.projectId, doc.jobId) : null,
  ].filter((k): k is string => !!k);
  for await (const lease of listAll(deps.store, keys.leaseFolder(doc.jobId))) dependents.push(lease.key);
  await Promise.all(dependents.map((key) => deps.store.delete(key)));
  await deps.store.delete(keys.job(doc.projectId, doc.jobId));
  return dependents.length + 1;
}

/**
 * What a crash can leave without a job document: queue markers, leases, idempotency records of a
 * create that never finished (kept for the retention time, so a retry can still finish it), and
 * uploads older than the retention time. Live work is never touched: each is checked against its job.
 */
async function pruneOrphans(deps: QueueDeps, opts: { cutoff: number; overTime: () => boolean }): Promise<number | null> {
  let deleted = 0;
  const gone = async (projectId: string | null, jobId: string) =>
    projectId !== null && (await readJob(deps.store, projectId, jobId).catch(() => 'unreadable')) === null;

  const markers: Array<{ key: string; jobId: string; projectId: string | null }> = [];
  // Name order is time order: markers young enough to be a create under way end the listing.
  const youngFrom = keys.queueTimeBefore(deps.now() - ORPHAN_MARKER_AGE_MS);
  for await (const entry of listAll(deps.store, keys.queueFolder)) {
    if (entry.name > youngFrom) break;
    const marker = parseQueueMarker(entry.name);
    if (marker) markers.push({ key: entry.key, jobId: marker.jobId, projectId: marker.projectId });
  }
  for (const m of markers) {
    if (opts.overTime()) return null;
    // Markers of older versions name their project in the body.
    const projectId = m.projectId ?? (await deps.store.get(m.key).then((o) => (o ? markerProject(o.body) : null)));
    if (projectId !== null && (await gone(projectId, m.jobId))) {
      await deps.store.delete(m.key);
      deleted++;
    }
  }

  for await (const folder of listAllFolders(deps.store, 'leases/')) {
    const created = timeOfJobId(folder.name);
    if (created === null || created > opts.cutoff) continue;
    if (opts.overTime()) return null;
    const leaseKeys: string[] = [];
    for await (const lease of listAll(deps.store, `${folder.key}/`)) leaseKeys.push(lease.key);
    const first = leaseKeys[0] ? await readLease(deps, folder.name, Number(leaseKeys[0].split('/').pop())) : null;
    if (first && (await gone(first.projectId ?? null, folder.name))) {
      await Promise.all(leaseKeys.map((k) => deps.store.delete(k)));
      deleted += leaseKeys.length;
    }
  }

  for await (const project of listAllFolders(deps.store, 'idempotency/')) {
    const stale: string[] = [];
    for await (const entry of listAll(deps.store, `${project.key}/`)) {
      if (opts.overTime()) return null;
      const object = await deps.store.get(entry.key);
      const record = object ? (parseJsonOrNull(object.body) as { jobId?: string; createdAt?: string } | null) : null;
      if (!record?.jobId || !record.createdAt || Date.parse(record.createdAt) > opts.cutoff) continue;
      if (await gone(idOfSegment(project.name), record.jobId)) stale.push(entry.key);
    }
    await Promise.all(stale.map((k) => deps.store.delete(k)));
    deleted += stale.length;
  }

  for await (const project of listAllFolders(deps.store, 'uploads/')) {
    if (opts.overTime()) return null;
    const old: string[] = [];
    for await (const entry of listAll(deps.store, `${project.key}/`)) {
      const created = timeOfUploadId(entry.name);
      if (created !== null && created <= opts.cutoff) old.push(entry.key);
    }
    await Promise.all(old.map((k) => deps.store.delete(k)));
    deleted += old.length;
  }
  // Not orphans (their slot lives on), so not counted as such: a slot's generations older than its newest.
  if ((await pruneSlotHistory(deps, opts.overTime)) === null) return null;
  const grants = await pruneGrants(deps.store, { cutoff: opts.cutoff, now: deps.now(), overTime: opts.overTime });
  return grants === null ? null : deleted + grants;
}
