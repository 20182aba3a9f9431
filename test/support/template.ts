/** What the tests read from the example's CloudFormation template, the file users deploy. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const TEMPLATE = path.join(import.meta.dirname, '..', '..', 'examples', 'basic', 'cloudformation', 'function.yaml');

/** The template's EventInvokeConfig: Lambda's async retry settings for the function version. */
export function templateAsyncConfig(): { maximumRetryAttempts: number; maximumEventAgeSeconds: number } {
  const text = readFileSync(TEMPLATE, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^\\s+${name}: (\\d+)$`, 'm').exec(text);
    if (match === null) throw new Error(`${name} is not set in ${TEMPLATE}`);
    return Number(match[1]);
  };
  return {
    maximumRetryAttempts: field('MaximumRetryAttempts'),
    maximumEventAgeSeconds: field('MaximumEventAgeInSeconds'),
  };
}
