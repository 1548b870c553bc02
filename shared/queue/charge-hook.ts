// Loads the charge hook a deployment names in CHARGE_HOOK_MODULE: a module of its own (billing is
// the deployment's business) exporting `charge`. Read once at start, so a typo stops the start.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { ChargeHook } from './charge.js';

export async function loadChargeHook(modulePath: string | null): Promise<ChargeHook | undefined> {
  if (!modulePath) return undefined;
  const mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as { charge?: unknown; default?: { charge?: unknown } };
  const charge = mod.charge ?? mod.default?.charge;
  if (typeof charge !== 'function') throw new ConfigError([`CHARGE_HOOK_MODULE: ${modulePath} exports no function named charge`]);
  return charge as ChargeHook;
}
