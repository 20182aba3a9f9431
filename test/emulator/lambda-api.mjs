// The two Lambda control-plane calls the Temporal Worker Controller makes, on loopback:
// GetFunction and Invoke (RequestResponse answered when the invocation ends; Event answered 202 at
// once). A throttled invoke is answered as Lambda answers it: 429, x-amzn-ErrorType
// TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded, which the
// AWS SDKs classify as a throttle (and retry with backoff).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { listen, readBody, send } from './environment.mjs';

const THROTTLED = {
  Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
  Type: 'User',
  message: 'Rate Exceeded.',
};

/**
 * Starts the API. `invoke(event, type)` returns a promise of the ended invocation, or undefined
 * when the call is throttled.
 */
export async function startLambdaApi({ functionName, functionArn, handler, timeoutSeconds, memoryMb, invoke }) {
  const matchesFunction = (name) => {
    const decoded = decodeURIComponent(name).replace(/:(\$LATEST|\d+)$/, '');
    return decoded === functionName || decoded === functionArn;
  };

  async function handle(request, response) {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const invokeMatch = url.pathname.match(/^\/2015-03-31\/functions\/([^/]+)\/invocations$/);
    const getMatch = url.pathname.match(/^\/2015-03-31\/functions\/([^/]+)\/?$/);
    const name = invokeMatch?.[1] ?? getMatch?.[1];
    if (name !== undefined && !matchesFunction(name)) {
      return send(
        response,
        404,
        { Type: 'User', message: `Function not found: ${decodeURIComponent(name)}` },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
    }
    if (request.method === 'GET' && getMatch) {
      return send(response, 200, {
        Configuration: {
          FunctionName: functionName,
          FunctionArn: functionArn,
          Runtime: 'nodejs22.x',
          Handler: handler,
          Timeout: timeoutSeconds,
          MemorySize: memoryMb,
          State: 'Active',
          LastUpdateStatus: 'Successful',
          Version: '$LATEST',
          Architectures: ['x86_64'],
          PackageType: 'Zip',
        },
        Code: { RepositoryType: 'S3', Location: 'https://example.invalid/code' },
      });
    }
    if (request.method === 'POST' && invokeMatch) return handleInvoke(request, response);
    send(response, 404, { message: `unsupported Lambda API call ${request.method} ${url.pathname}` });
  }

  async function handleInvoke(request, response) {
    const body = await readBody(request);
    const type = request.headers['x-amz-invocation-type'] === 'Event' ? 'Event' : 'RequestResponse';
    let event;
    try {
      event = body.trim() === '' ? {} : JSON.parse(body);
    } catch (error) {
      return send(
        response,
        400,
        { Type: 'User', message: `Could not parse request body into json: ${error.message}` },
        { 'x-amzn-errortype': 'InvalidRequestContentException' },
      );
    }
    const done = invoke(event, type);
    const requestId = randomUUID();
    if (done === undefined)
      return send(response, 429, THROTTLED, {
        'x-amzn-errortype': 'TooManyRequestsException',
        'x-amzn-requestid': requestId,
      });
    if (type === 'Event') return send(response, 202, '', { 'x-amzn-requestid': requestId });
    const invocation = await done;
    const headers = { 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': invocation.requestId };
    if (invocation.outcome !== 'ok') headers['x-amz-function-error'] = 'Unhandled';
    return send(response, 200, invocation.body || 'null', headers);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error) =>
      send(response, 500, { Type: 'Service', message: String(error) }, { 'x-amzn-errortype': 'ServiceException' }),
    );
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      const closing = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      return closing;
    },
  };
}
