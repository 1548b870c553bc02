// Preloaded into a worker by `bench/postgres-throughput.ts` (PROFILE_DIR): a CPU profile of the
// whole process, written at exit to PROFILE_DIR/worker-{pid}.cpuprofile (Chrome DevTools,
// speedscope). Node 20 refuses --cpu-prof in NODE_OPTIONS, so the profiler starts from inside;
// plain JS, since it runs before tsx is registered.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import * as path from 'node:path';

const dir = process.env.PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 }); // µs
  session.post('Profiler.start');
  // A main-thread session answers synchronously, so the profile is written before the exit completes.
  process.on('exit', () =>
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(path.join(dir, `worker-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    }),
  );
}
