// `npm run demo` itself, as a new user runs it: exit 0 and a real PNG where it says.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/processes.js';
import { tempDir } from './helpers/stores.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

describe('npm run demo', () => {
  it('renders the example concept end to end and prints where the image is', async () => {
    const jobsDir = path.join(tmp.dir, 'jobs');
    const child = spawn('npm', ['run', '--silent', 'demo'], { cwd: ROOT, env: { ...process.env, JOBS_DIR: jobsDir, RENDER_DELAY_MS: '1500' } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/created in \d+ ms \(HTTP 202\)/);
    const file = /image: (\S+\.png)/.exec(out)?.[1];
    expect(file, out).toBeDefined();
    expect(file!.startsWith(jobsDir)).toBe(true);
    const png = await readFile(file!);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1200);
  });
});
