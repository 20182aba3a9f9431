/**
 * The Node.js versions this library supports and is tested on: 20 (past its end of life, Lambda's
 * nodejs20.x is deprecated), 22 and 24 (the Lambda runtimes nodejs22.x and nodejs24.x).
 */
import { UnsupportedNodeVersionError } from '../errors';

/** The oldest Node.js major supported. */
export const MIN_NODE_MAJOR = 20;

/** The major version of a Node.js version string (this process's by default). */
export function nodeMajor(version: string = process.versions.node): number {
  return Number.parseInt(version, 10);
}

/**
 * Checks the Node.js version the function runs on.
 * @throws {@link UnsupportedNodeVersionError} naming the version and the Lambda runtime to use.
 */
export function checkNodeVersion(version: string = process.versions.node): void {
  const major = nodeMajor(version);
  if (!(major >= MIN_NODE_MAJOR)) {
    throw new UnsupportedNodeVersionError(
      `temporal-lambda-worker needs Node.js ${MIN_NODE_MAJOR} or later (tested on 20, 22 and 24); this function runs ` +
        `on Node.js ${version}. Set the function's runtime to nodejs24.x or nodejs22.x: aws lambda ` +
        `update-function-configuration --function-name <name> --runtime nodejs24.x`,
    );
  }
}
