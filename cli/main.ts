#!/usr/bin/env node
// `render-jobs`: the command line. `doctor` checks a setup; more commands join it here.
import { Command } from 'commander';
import { loadConfig } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { runDoctor } from './doctor.js';

const program = new Command('render-jobs').description('Long AI image renders behind serverless time limits.');

program
  .command('doctor')
  .description('check the configuration, the store (keys, buckets, atomic create-only), OpenAI and the worker')
  .option('--json', 'print the checks as JSON')
  .action(async (opts: { json?: boolean }) => {
    let config;
    try {
      config = loadConfig(process.env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      if (opts.json) console.log(JSON.stringify({ ok: false, checks: [{ name: 'config', status: 'fail', detail: err.message }] }));
      else console.error(`✗ config  ${err.message}`);
      process.exitCode = 1;
      return;
    }
    const checks = await runDoctor(config);
    const ok = checks.every((c) => c.status !== 'fail');
    if (opts.json) console.log(JSON.stringify({ ok, checks }, null, 2));
    else for (const c of checks) console.log(`${c.status === 'ok' ? '✓' : c.status === 'warn' ? '!' : '✗'} ${c.name.padEnd(22)} ${c.detail}`);
    process.exitCode = ok ? 0 : 1;
  });

await program.parseAsync(process.argv);
