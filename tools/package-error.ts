import { LambdaWorkerError } from '../src/errors';

/** A packaging step that cannot go on; the message names the fix. */
export class PackageError extends LambdaWorkerError {
  static override readonly errorName = 'PackageError';
}
