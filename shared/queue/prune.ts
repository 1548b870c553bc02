// Retention: finished jobs older than their time to live go, with their images, previews, leases and
// cancel requests. Only terminal jobs are touched (a terminal job never changes again), and the
// document goes last, so a prune cut short (time budget, crash) is simply finished by the next one.
// The worker runs it on a timer and the daily cron runs it too; stalled jobs never wait for either.
import { CorruptDocumentError } from '../errors.js';
import { timeOfJobId } from '../ids.js';
import type { JobDocument } from '../job/document.js';
import { isTerminal } from '../job/status.js';
import { keys } from '../store/keys.js';
import { listAll, listAllFolders } from '../store/object-store.js';
import type { QueueDeps } from './deps.js';
import { readJob } from './job-docs.js';
import { webhookLogKey } from '../webhooks/deliveries.js';

export interface PruneReport {
  /** Job documents old enough to be looked at. */
  examined: number;
  pruned: number;
  /** Objects deleted, documents included. */
  deleted: number;
  /** True when the deadline stopped the prune before it had looked at everything. */
  cutShort: boolean;
}

export async function pruneExpired(deps: QueueDeps, opts: { retentionMs: number; deadlineMs: number }): Promise<PruneReport> {
  const report: PruneReport = { examined: 0, pruned: 0, deleted: 0, cutShort: false };
  const cutoff = deps.now() - opts.retentionMs;
  const overTime = () => deps.now() >= opts.deadlineMs;
  for await (const project of listAllFolders(deps.store, 'jobs/')) {
    // Listed first, deleted after: deleting while paging by offset would skip entries.
    const old: string[] = [];
    for await (const entry of listAll(deps.store, `${project.key}/`)) {
      const jobId = entry.name.replace(/\.json$/, '');
      const created = timeOfJobId(jobId);
      // A job cannot have finished before it was created: younger ones need no read.
      if (created !== null && created <= cutoff) old.push(jobId);
    }
    for (const jobId of old) {
      if (overTime()) return { ...report, cutShort: true };
      report.examined += 1;
      const doc = await readJob(deps.store, project.name, jobId).catch((err: unknown) => {
        if (err instanceof CorruptDocumentError) deps.log.error({ err, jobId }, 'prune: unreadable job document left in place');
        else throw err;
        return null;
      });
      if (!doc || !expired(doc, cutoff)) continue;
      report.deleted += await deleteJob(deps, doc);
      report.pruned += 1;
    }
  }
  if (report.pruned > 0) deps.log.info(report, 'pruned expired jobs');
  return report;
}

function expired(doc: JobDocument, cutoff: number): boolean {
  return isTerminal(doc.status) && Date.parse(doc.completedAt ?? doc.updatedAt) <= cutoff;
}

async function deleteJob(deps: QueueDeps, doc: JobDocument): Promise<number> {
  const dependents = [doc.result?.key, doc.previewKey, keys.cancel(doc.jobId), doc.webhook ? webhookLogKey(doc.jobId) : null].filter((k): k is string => !!k);
  for await (const lease of listAll(deps.store, keys.leaseFolder(doc.jobId))) dependents.push(lease.key);
  await Promise.all(dependents.map((key) => deps.store.delete(key)));
  await deps.store.delete(keys.job(doc.projectId, doc.jobId));
  return dependents.length + 1;
}
