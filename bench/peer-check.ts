/**
 * `tsx bench/peer-check.ts`: the peer (bench/peer-server.ts) must answer the contract's reads
 * with the gateway's `data`, so that timing one against the other compares equal work. Seeds
 * the bench's data set (or copies PEER_CHECK_DB, an SQLite file), starts both servers as the
 * bench does, sends each read with several variables to both and compares their `data`
 * (`updatedAt` aside: each server stamps its own). Exits 1 on any difference.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenService } from '../src/auth/tokens';
import { loadContractOperations } from '../src/contract/operations';
import { closeAgent, post } from './lib/http';
import { spawnPinned, type Pinned } from './lib/proc';
import { prepareDatabase } from './lib/seed';

const SECRET = 'wardcache-peer-check-secret-0123456789';
const SEED = { hospitals: 1, wards: 47, patients: 2000, events: 4, seed: 7 };

const CASES: Array<[string, Record<string, unknown>]> = [
  ['Dashboard', {}],
  ['Dashboard', { recentLimit: 100 }],
  ['WardMapping', {}],
  ['WardMapping', { filter: { wardIds: ['3', '7'] } }],
  ['WardMapping', { filter: { tagIds: ['2'] } }],
  ['WardMapping', { filter: { tagIds: [] } }],
  ['WardMapping', { filter: { search: '  AN ' } }],
  ['WardMapping', { filter: { wardIds: ['5', '6', '7'], tagIds: ['1', '4'], search: 'a' } }],
  ['WardFilters', {}],
  ...['1', '2', '600', '1999', '99999'].map((id): [string, Record<string, unknown>] => ['Patient', { id }]),
];

const log = (msg: string) => process.stdout.write(`${msg}\n`);

/** The answer's data as text, each server's own timestamps of the answer masked. */
function dataOf(body: Buffer): string {
  const parsed = JSON.parse(body.toString('utf8')) as { data?: unknown; errors?: unknown };
  if (parsed.errors) throw new Error(`errors: ${JSON.stringify(parsed.errors).slice(0, 300)}`);
  return JSON.stringify(parsed.data).replace(/"updatedAt":"[^"]*"/g, '"updatedAt":"<now>"');
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'wardcache-peer-check-'));
  const db = join(work, 'check.sqlite');
  if (process.env.PEER_CHECK_DB) copyFileSync(process.env.PEER_CHECK_DB, db);
  else await prepareDatabase(db, SEED);
  const env = { NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET: SECRET, DATABASE_URL: `file:${db}`, PORT: '0', DEMO_DATA: 'false', WARM_JOBS: 'false' };
  const servers: Pinned[] = [];
  let failures = 0;
  try {
    const gateway = spawnPinned(0, join(__dirname, 'gateway-server.ts'), env);
    servers.push(gateway);
    const peer = spawnPinned(0, join(__dirname, 'peer-server.ts'), env);
    servers.push(peer);
    const [g, p] = [(await gateway.ready).url as string, (await peer.ready).url as string];
    const token = await createTokenService(SECRET).sign({ sub: 'peer-check', hospitalId: '1', role: 'viewer' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const ops = loadContractOperations();
    for (const [op, variables] of CASES) {
      const body = JSON.stringify({ operationName: op, query: ops.get(op), variables });
      const [a, b] = [await post(`${g}/graphql`, body, headers), await post(`${p}/graphql`, body, headers)];
      const [x, y] = [dataOf(a.body), dataOf(b.body)];
      const same = x === y;
      if (!same) failures += 1;
      log(`${same ? 'same' : 'DIFFERENT'}  ${op} ${JSON.stringify(variables)} (${x.length} characters)`);
      if (!same) {
        const at = [...x].findIndex((c, i) => c !== y[i]);
        log(`  gateway: …${x.slice(Math.max(0, at - 120), at + 120)}\n  peer:    …${y.slice(Math.max(0, at - 120), at + 120)}`);
      }
    }
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    closeAgent();
    rmSync(work, { recursive: true, force: true });
  }
  log(failures ? `${failures} of ${CASES.length} answers differ` : `all ${CASES.length} answers have the same data`);
  process.exitCode = failures ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`peer-check failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
