/** Calls a real handler with a real remaining time and records when and how it settled. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { LambdaHandler } from '../../src/lifecycle/run-worker';
import { makeContext, type FakeContext } from './context';

export interface InvocationRecord {
  context: FakeContext;
  startedMs: number;
  settledMs: number;
  /** Deadline minus settle time: how much time was left when the handler settled. */
  marginMs: number;
  error?: unknown;
}

export async function invoke(handler: LambdaHandler, remainingMs: number): Promise<InvocationRecord> {
  const context = makeContext(remainingMs);
  const startedMs = Date.now();
  let error: unknown;
  try {
    await handler({}, context);
  } catch (caught) {
    error = caught;
  }
  const settledMs = Date.now();
  return { context, startedMs, settledMs, marginMs: context.deadlineMs - settledMs, error };
}

/** An empty folder to use as cwd, so that no stray ./temporal.toml is picked up. */
export function emptyDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'tlw-cwd-'));
}

/** Collects JSON log lines. */
export function captureLines(): {
  lines: string[];
  write: (line: string) => void;
  records: () => Array<Record<string, unknown>>;
} {
  const lines: string[] = [];
  return {
    lines,
    write: (line) => void lines.push(line),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Prints one margin measurement (deadline minus settle time) to the test output, for the closing notes. */
export function reportMargin(name: string, record: InvocationRecord): void {
  const line = `${name}: settled ${record.marginMs} ms before the deadline (invocation ${record.settledMs - record.startedMs} ms)`;
  console.log(line);
}
