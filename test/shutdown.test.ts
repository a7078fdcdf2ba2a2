import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { freePort, spawnProcess, waitForUrl } from './support/processes';

const ROOT = join(__dirname, '..');
const SECRET = 'shutdown-secret-0123456789-abcdefghijklmn';

describe('SIGTERM', () => {
  // In production Apollo Server would install its own SIGTERM handler, stop itself and raise the
  // signal again, killing the process before the gateway's own shutdown finished.
  it.each(['test', 'production'])('(NODE_ENV=%s) finishes the request in flight, refuses new connections, closes everything and exits 0 within 10 s', async (nodeEnv) => {
    const port = await freePort();
    const db = join(mkdtempSync(join(tmpdir(), 'wardcache-stop-')), 'stop.sqlite');
    const p = spawnProcess('gateway', join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: nodeEnv, PORT: String(port), DATABASE_URL: `file:${db}`, JWT_SECRET: SECRET, DEMO_DATA: 'true', WARM_JOBS: 'true', LOG_LEVEL: 'info', REDIS_URL: '' },
    });
    try {
      await p.waitForLine('wardcache is serving', 120_000);
      await waitForUrl(`http://127.0.0.1:${port}/health`, { timeoutMs: 10_000 });
      const token = await new SignJWT({ hospitalId: '1', role: 'viewer' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').sign(new TextEncoder().encode(SECRET));

      // A request whose body is still arriving when SIGTERM comes.
      const body = JSON.stringify({ query: '{ dashboardStats { totalPatients } }' });
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          p.signal('SIGTERM');
          setTimeout(() => {
            req.end(body.slice(10));
          }, 300);
        }, 200);
      });
      const started = Date.now();
      const result = await answer;
      expect(result.status).toBe(200);
      expect(JSON.parse(result.text).data.dashboardStats.totalPatients).toBe(400);
      // New connections are refused while (or after) it drains.
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      const exit = await p.exited;
      expect(exit.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(p.output()).toContain('"msg":"stopped"');
    } finally {
      if (!p.exit()) await p.stop(1000);
    }
  });
});
