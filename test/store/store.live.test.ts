// Opt-in: the conformance suite against a real Supabase project, in a fresh folder of its buckets.
// vitest.config.ts includes this file only when SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are set.
// The queue suites run live with STORE=supabase-live.
import { storeFactory } from '../helpers/stores.js';
import { describeObjectStore } from './conformance.js';

describeObjectStore('supabase-live (real project)', storeFactory('supabase-live'));
