/**
 * Everything a test process writes, kept so that a secret check can read every byte: what the
 * process writes to stdout and stderr (teed, still printed), and every JSON log line of every
 * handler made with `sink` (the Runtime's logger is the first handler's, so worker and core lines
 * of later cases land there). `mark()` and `since()` give the output of one case. For unit tests,
 * {@link stdoutOfEachTest} keeps stdout per test instead.
 */
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * For a unit test file: what the process writes to stdout during each test (the library's default
 * logger writes its setup lines there), kept instead of printed. Call it at the top of the file;
 * the array it returns is emptied before each test.
 */
export function stdoutOfEachTest(): string[] {
  const chunks: string[] = [];
  beforeEach(() => {
    chunks.length = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation(
      (chunk: string | Uint8Array) => (chunks.push(String(chunk)), true),
    );
  });
  afterEach(() => void vi.restoreAllMocks());
  return chunks;
}

export class OutputCapture {
  private readonly chunks: string[] = [];
  private restore: (() => void) | undefined;

  /** Starts teeing process.stdout and process.stderr. */
  start(): void {
    const tee = (stream: NodeJS.WriteStream) => {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      return () => void (stream.write = original);
    };
    const restores = [tee(process.stdout), tee(process.stderr)];
    this.restore = () => restores.forEach((undo) => undo());
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
  }

  /** Where handlers' loggers write besides their own capture. */
  readonly sink = (line: string): void => void this.chunks.push(line);

  /** A position in the output. */
  mark(): number {
    return this.chunks.length;
  }

  /** Everything written since `mark`. */
  since(mark: number): string {
    return this.chunks.slice(mark).join('');
  }
}
