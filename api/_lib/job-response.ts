// The header that carries the poll-again hint (the body has it as `pollAfterMs`).
export const POLL_AFTER_HEADER = 'x-poll-after-ms';
