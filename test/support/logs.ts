/**
 * Log matchers on parsed JSON lines: a test names the message and the fields it expects, and
 * counts the lines that match, instead of searching a regex over the joined text (which matches
 * across lines, inside other fields, or in a message that merely mentions the words).
 */

/** One parsed log line. */
export type LogRecord = Record<string, unknown>;

/** What a line must hold: `message` (text, or a pattern) and any fields, compared exactly. */
export type LogMatch = { message?: string | RegExp } & Record<string, unknown>;

/** The prefix the Lambda runtime client's `console.log` puts before a line: time, request id, level, tabs between. */
const RUNTIME_CONSOLE_PREFIX = /^\S+\t\S+\t[A-Z]+\t/;

/**
 * The JSON lines among `lines`, also where the runtime client's console prefix stands before the
 * JSON (a line that is not JSON, a runtime's own output, is skipped).
 */
export function parseLogLines(lines: readonly string[]): LogRecord[] {
  return lines.flatMap((chunk) =>
    chunk.split('\n').flatMap((raw) => {
      const line = raw.replace(RUNTIME_CONSOLE_PREFIX, '').trim();
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as LogRecord];
      } catch {
        return [];
      }
    }),
  );
}

/** The lines that match `match`. */
export function logged(lines: readonly string[] | readonly LogRecord[], match: LogMatch): LogRecord[] {
  const records = typeof lines[0] === 'string' ? parseLogLines(lines as string[]) : (lines as LogRecord[]);
  const { message, ...fields } = match;
  return records.filter((record) => {
    if (
      message instanceof RegExp
        ? !message.test(String(record.message))
        : message !== undefined && record.message !== message
    )
      return false;
    return Object.entries(fields).every(([key, value]) => JSON.stringify(record[key]) === JSON.stringify(value));
  });
}
