// The chaos run's billing system: each call of the charge hook appends the job id to a ledger file
// (one O_APPEND write per line, so lines from killed and living workers never mix). A job id on two
// lines would be a double charge.
import { appendFileSync } from 'node:fs';
import type { ChargeHook } from '../../shared/queue/charge.js';

export const charge: ChargeHook = async (c) => {
  const ledger = process.env.CHAOS_CHARGE_LEDGER;
  if (!ledger) throw new Error('CHAOS_CHARGE_LEDGER is not set');
  appendFileSync(ledger, `${c.idempotencyKey}\n`);
};
