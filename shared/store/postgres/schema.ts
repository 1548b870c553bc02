// The Postgres store's schema as code: one versioned migration, safe to apply again and again
// (`render-jobs migrate`; tests apply it to a fresh schema per fixture).
import { ConfigError } from '../../errors.js';
import type { SqlClient } from './sql.js';

/** Bumped with every change to MIGRATION; `doctor` compares the database's against it. */
export const SCHEMA_VERSION = 2;

/** Identifiers are spliced into SQL (they cannot be bound): only plain lower-case names. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new ConfigError([`DATABASE_SCHEMA: ${JSON.stringify(schema)} is not a plain lower-case identifier`]);
}

/** The channel a worker LISTENs on: one per schema, so two deployments in one database stay apart. */
export function dueChannel(schema: string): string {
  assertSchemaName(schema);
  return `${schema}_due`;
}

function migration(schema: string): string {
  const s = `"${schema}"`;
  return `
create schema if not exists ${s};

create table if not exists ${s}.schema_version (
  version integer primary key,
  applied_at timestamptz not null default now()
);

-- One row per object. COLLATE "C": listings in byte order and case-sensitive, whatever the
-- database's locale (the fs store's order; Supabase Storage lists case-insensitively).
-- parent and name are derived from the key, so they can never disagree with it.
create table if not exists ${s}.objects (
  key text collate "C" primary key,
  parent text collate "C" generated always as (substring(key from '^(.*/)')) stored,
  name text collate "C" generated always as (substring(key from '[^/]*$')) stored,
  body bytea not null,
  content_type text not null,
  updated_at timestamptz not null default now()
);

-- Version 2: pages keep half their room for rows' next versions, so that rewriting a document (a
-- claim, a progress write, an ending: key, parent and name unchanged) is a HOT update — the new
-- version beside the old on its page, no entry added to the three indexes. On full pages about
-- nine in ten of those writes indexed all three anew (a 3,000-job bench: 6% of all updates HOT,
-- the claim's marker moves included; at 70, 35%; at 50, 67%: every document update), and a batched
-- document update cost the server 137 µs of CPU against 85 (medians of 4, back to back).
-- Applies to pages filled from now on.
alter table ${s}.objects set (fillfactor = 50);

-- Version 2: bodies over ~2 KB (job documents) compressed with lz4, not pglz: a batched document
-- update cost the server 48 µs of CPU against 108 (medians of 3, back to back; 1,627 bytes stored
-- against 1,501 for 3,000), and a read no more. Applies to values written from now on; a server
-- built without lz4 keeps pglz.
do $lz4$ begin
  execute 'alter table ${s}.objects alter column body set compression lz4';
exception when feature_not_supported then
  null;
end $lz4$;

-- list(prefix): WHERE parent = $1 AND name > $cursor ORDER BY name — a range over this index.
create index if not exists objects_parent_name on ${s}.objects (parent, name);

-- listFolders(prefix): a skip scan in folder-name order. '/' is mapped below every key character
-- (keys are [A-Za-z0-9._-]) so that folder "p1" sorts before "p1-x", as names do.
create index if not exists objects_folders on ${s}.objects ((replace(parent, '/', chr(1))));

-- Wakes the listening workers (NOTIFY is sent at commit, so a woken worker finds what it was
-- told about). A new job is announced by its document, which is written after its queue marker
-- (shared/queue/enqueue.ts): 'j {projectId}/{jobId} {runAfter}', so a worker claims it without
-- scanning. A marker written for a job that already exists (a retry, a hand-back) is announced as
-- 'q {marker name}'. Regexes, not JSON casts: a body that is not JSON must never fail a write.
create or replace function ${s}.notify_due() returns trigger language plpgsql as $fn$
declare
  text_body text;
  job_key text;
begin
  if new.parent = 'queue/' then
    -- Names carry the project ('{at}-{jobId}.{projectId}.{p|r}.{owner}'); a running job's marker
    -- ('r', written at claim) is no news. Older names ('{at}-{jobId}') keep the project in the body.
    if new.name ~ '^[0-9]{13}-[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+[.]r[.]' then
      return null;
    end if;
    job_key := case
      when new.name ~ '^[0-9]{13}-[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+[.]p[.]'
        then 'jobs/' || substring(new.name from '^[0-9]{13}-[A-Za-z0-9_-]+[.]([A-Za-z0-9_-]+)[.]') || '/' || substring(new.name from '^[0-9]{13}-([A-Za-z0-9_-]+)[.]') || '.json'
      else 'jobs/' || substring(convert_from(new.body, 'UTF8') from '"projectId":"([A-Za-z0-9._-]+)"') || '/' || substring(new.name from 15) || '.json'
    end;
    if exists (select 1 from ${s}.objects where key = job_key) then
      perform pg_notify('${schema}_due', 'q ' || new.name);
    end if;
  elsif new.key ~ '^jobs/[^/]+/[^/]+[.]json$' then
    text_body := convert_from(new.body, 'UTF8');
    perform pg_notify('${schema}_due', 'j ' || substring(new.key from 6 for length(new.key) - 10) || ' ' ||
      coalesce(substring(text_body from '"runAfter":"([^"]+)"'), ''));
  end if;
  return null;
end
$fn$;

-- Two triggers, so that a job document's many updates (progress) never call the function.
drop trigger if exists objects_notify_due on ${s}.objects;
create trigger objects_notify_due after insert or update of body on ${s}.objects
  for each row when (new.parent = 'queue/') execute function ${s}.notify_due();
drop trigger if exists objects_notify_created on ${s}.objects;
create trigger objects_notify_created after insert on ${s}.objects
  for each row when (new.parent like 'jobs/%') execute function ${s}.notify_due();

insert into ${s}.schema_version (version) values (${SCHEMA_VERSION}) on conflict (version) do nothing;
`;
}

/** Applies the migration in one transaction; concurrent migrators wait for each other. */
export async function migrate(client: SqlClient, schema: string): Promise<{ from: number | null; to: number }> {
  assertSchemaName(schema);
  const from = await schemaVersion(client, schema);
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`render-jobs migrate ${schema}`]);
    await client.query(migration(schema));
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
  return { from, to: SCHEMA_VERSION };
}

/** The highest version applied, or null when the schema was never migrated. */
export async function schemaVersion(client: SqlClient, schema: string): Promise<number | null> {
  assertSchemaName(schema);
  const { rows } = await client.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [`"${schema}".schema_version`]);
  if (!rows[0]?.exists) return null;
  const v = await client.query<{ version: number | null }>(`select max(version) as version from "${schema}".schema_version`);
  return v.rows[0]?.version ?? null;
}
