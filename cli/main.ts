#!/usr/bin/env node
// `render-jobs`: the command line. render / status / list / cancel talk to any API (--api or
// RENDER_JOBS_API); doctor checks this machine's configuration. Exit codes: 0 done, 1 failed,
// 2 bad input, 3 cancelled, 4 timed out.
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { runDoctor } from './doctor.js';
import { migrateKeys } from './migrate-keys.js';
import { openStore } from '../shared/store/open-store.js';
import { cancel, DEFAULT_PROJECT, EXIT, exitForError, type GlobalOptions, list, render, reportError, status } from './jobs.js';

const program = new Command('render-jobs')
  .description('Long AI image renders behind serverless time limits.')
  .addOption(new Option('--api <url>', 'the API base URL').env('RENDER_JOBS_API').default('http://127.0.0.1:3000'))
  .addOption(new Option('--project <id>', `project id (render: else the request file's; default ${DEFAULT_PROJECT})`).env('RENDER_JOBS_PROJECT'))
  .option('--json', 'machine-readable output')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.badInput));

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number');
  return n;
};

/** Runs a command; any error becomes its message on stderr and its exit code. */
function run(fn: (g: GlobalOptions) => Promise<number>) {
  return async () => {
    const g = { ...program.opts<GlobalOptions>(), projectFromFlag: program.getOptionValueSource('project') === 'cli' };
    try {
      process.exitCode = await fn(g);
    } catch (err) {
      reportError(err, g.json);
      process.exitCode = exitForError(err);
    }
  };
}

program
  .command('render <request.json>')
  .description('create a render job and (by default) wait for it with a progress bar, then save the image')
  .option('--out <file>', 'where to save the image (default <jobId>.png)')
  .option('--no-wait', 'print the job id and return at once')
  .option('--wait', 'wait for the job (default)')
  .option('--kind <kind>', 'render | edit | preview')
  .option('--timeout <seconds>', 'stop waiting after this long (exit 4)', positive, 600)
  .action((file: string, o: { out?: string; wait: boolean; timeout: number; kind?: string }) => run((g) => render(file, { ...g, ...o }))());

program
  .command('status <jobId>')
  .description('show a job')
  .action((jobId: string) => run((g) => status(jobId, g))());
program
  .command('list')
  .description("list a project's jobs, newest first")
  .option('--limit <n>', 'how many', positive, 20)
  .action((o: { limit: number }) => run((g) => list({ ...g, ...o }))());
program
  .command('cancel <jobId>')
  .description('cancel a job')
  .action((jobId: string) => run((g) => cancel(jobId, g))());

program
  .command('doctor')
  .description('check the configuration, the store (keys, buckets, atomic create-only), OpenAI and the worker')
  .action(async () => {
    const json = program.opts<GlobalOptions>().json;
    let config;
    try {
      config = loadConfig(process.env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      if (json) console.log(JSON.stringify({ ok: false, checks: [{ name: 'config', status: 'fail', detail: err.message }] }));
      else console.error(`✗ config  ${err.message}`);
      process.exitCode = 1;
      return;
    }
    const checks = await runDoctor(config);
    const ok = checks.every((c) => c.status !== 'fail');
    if (json) console.log(JSON.stringify({ ok, checks }, null, 2));
    else for (const c of checks) console.log(`${c.status === 'ok' ? '✓' : c.status === 'warn' ? '!' : '✗'} ${c.name.padEnd(22)} ${c.detail}`);
    process.exitCode = ok ? 0 : 1;
  });

program
  .command('migrate')
  .description('STORE=postgres: create or update the schema (idempotent; safe to run on every deploy)')
  .option('--from-bucket', 'then copy jobs, queue, leases and records from the Supabase bucket (SUPABASE_*) into Postgres; create-only, safe to repeat')
  .action(async (o: { fromBucket?: boolean }) => {
    try {
      const config = loadConfig(process.env);
      if (config.store.kind !== 'postgres') throw new Error(`migrate is for STORE=postgres (this config has STORE=${config.store.kind})`);
      const [{ openStore }, { runMigrate }, { copyStore }] = await Promise.all([
        import('../shared/store/open-store.js'),
        import('./postgres.js'),
        import('./copy-store.js'),
      ]);
      const store = openStore(config) as import('../shared/store/postgres-store.js').PostgresObjectStore;
      console.log(await runMigrate(store, config.store.schema));
      if (o.fromBucket) {
        const bucket = openStore(loadConfig({ ...process.env, STORE: 'supabase' }));
        const counts = await copyStore(bucket, store, (prefix, c) =>
          console.log(`${prefix.padEnd(13)} ${c.copied} copied, ${c.present} already there (so far)`),
        );
        console.log(`copied ${counts.copied} objects; ${counts.present} were already in Postgres`);
      }
      await store.close();
    } catch (err) {
      console.error(`render-jobs: ${(err as Error).message}`);
      process.exitCode = err instanceof ConfigError ? EXIT.badInput : 1;
    }
  });

program
  .command('migrate-keys')
  .description('move objects stored under a project id with capitals to their case-safe keys (once, before new workers start)')
  .option('--dry-run', 'count what would move; change nothing')
  .action(async (opts: { dryRun?: boolean }) => {
    const config = loadConfig(process.env);
    const report = await migrateKeys(openStore(config), { dryRun: opts.dryRun });
    if (program.opts<GlobalOptions>().json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(
        `${opts.dryRun ? 'would move' : 'moved'} ${report.moved} objects from ${report.legacyFolders.length} folders named by a project id with capitals`,
      );
      for (const f of report.legacyFolders) console.log(`  ${f}`);
      for (const k of report.skipped) console.log(`! left in place (not a job document): ${k}`);
    }
  });

await program.parseAsync(process.argv);
