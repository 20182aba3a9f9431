/**
 * A local endpoint that speaks the two AWS JSON 1.1 calls a rotating API key is read with:
 * Secrets Manager's `GetSecretValue` and SSM Parameter Store's `GetParameter`. The real AWS SDK
 * clients reach it through their `endpoint` option; it ignores the signature. A test changes a
 * value in `secrets` or `parameters` to rotate it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsEndpoint {
  /** `http://localhost:<port>`: a host name, so that the SDK resolves it as it does in Lambda. */
  url: string;
  secrets: Map<string, string>;
  parameters: Map<string, string>;
  /** Each call's target and id, in order. */
  calls: string[];
  close(): Promise<void>;
}

const JSON_1_1 = 'application/x-amz-json-1.1';

function reply(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': JSON_1_1 };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  response.writeHead(status, headers).end(JSON.stringify(body));
}

function answer(endpoint: SecretsEndpoint, target: string, body: Record<string, unknown>, response: ServerResponse) {
  const nowSeconds = Math.floor(Date.now() / 1000);
  if (target === 'secretsmanager.GetSecretValue') {
    const id = String(body.SecretId);
    endpoint.calls.push(`${target} ${id}`);
    const value = endpoint.secrets.get(id);
    if (value === undefined) {
      const message = "Secrets Manager can't find the specified secret.";
      return reply(response, 400, { __type: 'ResourceNotFoundException', message }, 'ResourceNotFoundException');
    }
    return reply(response, 200, {
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}`,
      Name: id,
      SecretString: value,
      VersionId: `v-${endpoint.calls.length}`,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: nowSeconds,
    });
  }
  if (target === 'AmazonSSM.GetParameter') {
    const name = String(body.Name);
    endpoint.calls.push(`${target} ${name}`);
    const value = endpoint.parameters.get(name);
    if (value === undefined) return reply(response, 400, { __type: 'ParameterNotFound' }, 'ParameterNotFound');
    const decrypted = body.WithDecryption === true;
    return reply(response, 200, {
      Parameter: {
        Name: name,
        Type: 'SecureString',
        Value: decrypted ? value : 'AQICAHencrypted',
        Version: 1,
        LastModifiedDate: nowSeconds,
        ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${name}`,
        DataType: 'text',
      },
    });
  }
  endpoint.calls.push(target);
  return reply(response, 400, { __type: 'UnknownOperationException' }, 'UnknownOperationException');
}

export async function startSecretsEndpoint(): Promise<SecretsEndpoint> {
  const endpoint: SecretsEndpoint = {
    url: '',
    secrets: new Map(),
    parameters: new Map(),
    calls: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return reply(response, 400, { __type: 'SerializationException' }, 'SerializationException');
      }
      answer(endpoint, target, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  endpoint.url = `http://localhost:${(server.address() as AddressInfo).port}`;
  return endpoint;
}
