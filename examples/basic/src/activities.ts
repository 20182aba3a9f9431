import { log } from '@temporalio/activity';

export async function composeGreeting(greeting: string, name: string): Promise<string> {
  log.info('Composing a greeting', { name });
  return `${greeting}, ${name}!`;
}
