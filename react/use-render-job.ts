// @render-jobs/react — useRenderJob(jobId): a job's status, progress, preview, result and error,
// live until it ends. The job id is the state: keep it in the URL or storage and a page refresh
// picks the job up again. React is a peer dependency.
import { useEffect, useState } from 'react';
import type { Job, QueueOutlook, RenderJobs, RenderJobsError } from '@render-jobs/client';

export interface RenderJobState {
  job: Job | null;
  status: Job['status'] | 'loading' | 'idle';
  progress: number;
  previewUrl: string | null;
  imageUrl: string | null;
  queue: QueueOutlook | null;
  error: RenderJobsError | null;
}

const IDLE: RenderJobState = { job: null, status: 'idle', progress: 0, previewUrl: null, imageUrl: null, queue: null, error: null };

export function useRenderJob(client: RenderJobs, jobId: string | null | undefined, opts: { projectId?: string } = {}): RenderJobState {
  const [state, setState] = useState<RenderJobState>(jobId ? { ...IDLE, status: 'loading' } : IDLE);
  const projectId = opts.projectId;
  useEffect(() => {
    if (!jobId) {
      setState(IDLE);
      return;
    }
    setState({ ...IDLE, status: 'loading' });
    // One shared subscription per job; leaving (unmount, new id) removes our listener.
    return client.jobs.watch(
      jobId,
      (event) => {
        if (event.type === 'error') setState((s) => ({ ...s, error: event.error, status: s.job?.status ?? 'idle' }));
        else if (event.type === 'preview') setState((s) => ({ ...s, previewUrl: event.previewUrl }));
        else {
          const { job, queue } = event.view;
          setState({ job, status: job.status, progress: job.progress, previewUrl: job.previewUrl, imageUrl: job.imageUrl, queue, error: null });
        }
      },
      { projectId },
    );
  }, [client, jobId, projectId]);
  return state;
}
