/**
 * Keeps secrets out of every log line: known secret values (API key, TLS key data) are replaced
 * wherever they appear, fields whose names say they hold a secret are masked, and PEM private
 * keys are masked by shape.
 */

/** What replaces a secret in output. */
export const REDACTED = '[REDACTED]';

const SECRET_FIELD =
  /(api[-_]?key|private[-_]?key|client[-_]?key|secret|password|passphrase|authorization|token|credential)/i;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const MAX_DEPTH = 6;

/** A set of secret strings to scrub from output; shared by one logger. */
export class SecretScrubber {
  private readonly secrets = new Set<string>();

  /** Registers a value that must never be printed. Values shorter than 4 characters are ignored. */
  add(value: string | Uint8Array | undefined): void {
    if (value === undefined) return;
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    if (text.trim().length >= 4) this.secrets.add(text.trim());
  }

  /** Replaces every registered secret and every PEM private key in `text`. */
  scrubText(text: string): string {
    let out = text.replace(PEM_PRIVATE_KEY, REDACTED);
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  /** Returns a JSON-safe copy of `value` with secrets masked. */
  scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
    if (typeof value === 'string') return this.scrubText(value);
    if (value === null || typeof value !== 'object') {
      return typeof value === 'bigint' ? value.toString() : value;
    }
    if (depth >= MAX_DEPTH) return '[Truncated]';
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    if (value instanceof Error) return this.scrubError(value, depth, seen);
    if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
    if (Array.isArray(value)) return value.map((item) => this.scrub(item, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        SECRET_FIELD.test(key) && item !== undefined && item !== null ? REDACTED : this.scrub(item, depth + 1, seen);
    }
    return out;
  }

  private scrubError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: error.name,
      message: this.scrubText(error.message),
      stack: error.stack === undefined ? undefined : this.scrubText(error.stack),
    };
    if (error.cause !== undefined) out.cause = this.scrub(error.cause, depth + 1, seen);
    return out;
  }
}
