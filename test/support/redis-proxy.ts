import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode =
  | { kind: 'pass' }
  /** Every reply from Redis is held this long before it reaches the client: a slow Redis. */
  | { kind: 'slow'; replyDelayMs: number }
  /** Everything is held, both ways: a hung Redis (or a cut network) that still holds the socket. */
  | { kind: 'hang' }
  /** Passes until a client command contains `marker`, then hangs (that command included). */
  | { kind: 'hangOn'; marker: string };

/**
 * A TCP proxy in front of Redis for one gateway, so a test can make that gateway's Redis slow
 * or hung while other gateways reach the same Redis directly. Held bytes are dropped, never
 * delivered late, when the mode goes back to `pass`: a hung connection stays hung.
 */
export class RedisProxy {
  private server: Server | null = null;
  private mode: ProxyMode = { kind: 'pass' };
  private readonly sockets = new Set<Socket>();
  private hungByMarker = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** True once a `hangOn` marker was seen. */
  get triggered(): boolean {
    return this.hungByMarker;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    this.hungByMarker = false;
  }

  private hung(): boolean {
    return this.mode.kind === 'hang' || (this.mode.kind === 'hangOn' && this.hungByMarker);
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      this.sockets.add(client).add(upstream);
      const closeBoth = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', closeBoth).on('close', closeBoth);
      upstream.on('error', closeBoth).on('close', closeBoth);
      client.on('data', (chunk) => {
        if (this.mode.kind === 'hangOn' && chunk.includes(this.mode.marker)) this.hungByMarker = true;
        if (!this.hung()) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (this.hung()) return;
        const mode = this.mode;
        if (mode.kind === 'slow') setTimeout(() => !client.destroyed && client.write(chunk), mode.replyDelayMs);
        else client.write(chunk);
      });
    });
    // Restarted on the port it had, so clients reconnect to the same address.
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  /** Cuts every connection (the client sees the connection lost) and refuses new ones. */
  async refuse(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
