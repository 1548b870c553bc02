// Units for every duration in config and code, so a default reads `15 * SECOND`, not `15000`.
export const MILLISECOND = 1;
export const SECOND = 1000 * MILLISECOND;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
