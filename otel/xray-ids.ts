/**
 * Trace ids that AWS X-Ray accepts as its own: the first 8 hex digits are the start time in epoch
 * seconds, the other 24 random. Span ids are 16 random hex digits. This is the format X-Ray documents
 * for its trace ids; writing it here spares apps the `@opentelemetry/id-generator-aws-xray` package.
 */
import { randomBytes } from 'node:crypto';

/** An id generator for the OpenTelemetry trace SDK of any major. */
export const xrayIdGenerator = {
  generateTraceId(): string {
    const seconds = Math.floor(Date.now() / 1000)
      .toString(16)
      .padStart(8, '0');
    return seconds + randomNonZeroHex(12);
  },
  generateSpanId(): string {
    return randomNonZeroHex(8);
  },
};

/** `bytes` random bytes as hex, never all zeros (an invalid id in OpenTelemetry). */
function randomNonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}
