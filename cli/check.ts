// One line of `render-jobs doctor`: what was checked, how it went, and what to do.
export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}
