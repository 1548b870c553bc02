// Compiles contract-types.ts (the SDK's hand-declared types against the server's zod schemas) so
// that `npx vitest run` fails too, not only `tsc`, when the two drift apart.
import * as path from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { ROOT } from '../../scripts/processes.js';

it('the SDK’s request, concept and answer types are the server’s schemas', () => {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const program = ts.createProgram([path.join(ROOT, 'test', 'client', 'contract-types.ts')], parsed!.options);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').slice(0, 400));
  expect(problems).toEqual([]);
}, 120_000);
