/**
 * An error whose message is meant for the user as it stands (bad input, a locked file, an option out of range). Every
 * layer may throw it; the faces turn it into exit code 2 (CLI) or a 400 answer (HTTP), never a stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * The store is shutting down and refused a read. Not the caller's fault: the HTTP face answers 503 with Retry-After,
 * so clients (the SDK among them) retry against the restarted server instead of dropping their events.
 */
export class StoreClosingError extends Error {
  constructor() {
    super('the store is closing; the query was not run');
    this.name = 'StoreClosingError';
  }
}
