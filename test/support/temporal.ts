/** Helpers for the integration tests: a client, making a version current, silent and closed ports. */
import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { pollUntil } from './poll';

export async function connectClient(address: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Sets the version current as soon as the server knows it (once a worker of it has polled);
 * retries until `timeoutMs`.
 */
export async function makeVersionCurrent(
  client: Client,
  deploymentName: string,
  buildId: string,
  timeoutMs = 30_000,
): Promise<void> {
  await pollUntil(
    async () => {
      const request = { namespace: 'default', deploymentName, buildId, ignoreMissingTaskQueues: true };
      await client.workflowService.setWorkerDeploymentCurrentVersion(request);
      return true;
    },
    { timeoutMs, intervalMs: 200, what: `version ${deploymentName}/${buildId} to become current` },
  );
}

/** A TCP server that accepts connections and never answers. */
export async function startSilentServer(): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

/** An address on loopback where nothing listens. */
export async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}
