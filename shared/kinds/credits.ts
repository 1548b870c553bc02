// What each kind costs when it completes. Kept apart from the kinds themselves: the queue charges
// by it, and must not load the renderers (a function that only cancels would bundle them).
import type { JobKindName } from '../job/request.js';

export const CREDITS: Record<JobKindName, number> = { render: 1, edit: 1, preview: 0 };
