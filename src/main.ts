import { ConfigError, loadConfig } from './config/config';
import { createGateway } from './gateway';
import type { Role } from './auth/roles';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const gateway = await createGateway(config);
  const url = await gateway.listen();
  gateway.logger.info({ url: `${url}/graphql`, database: config.database.kind, cache: config.redisUrl ? 'redis' : 'memory' }, 'wardcache is serving');

  if (config.jwtSecretGenerated) {
    // Development convenience: a random secret was made, so print tokens that work with it.
    const lines = await Promise.all(
      (['viewer', 'clinician', 'admin'] as Role[]).map(async (role) => {
        const token = await gateway.tokens.sign({ sub: `demo-${role}`, hospitalId: '1', role });
        return `  ${role.padEnd(9)} ${token}`;
      }),
    );
    process.stdout.write(
      `\nJWT_SECRET is not set: made a random one. Tokens for demo hospital "1" (valid 12 h):\n${lines.join('\n')}\n\n` +
        `Try:\n  curl -s ${url}/graphql -H 'content-type: application/json' -H "authorization: Bearer <viewer token>" \\\n` +
        `    -d '{"query":"{ dashboardStats { totalPatients inpatients outpatients updatedAt } }"}'\n\n`,
    );
  }

  const stop = async (signal: string) => {
    gateway.logger.info({ signal }, 'shutting down: finishing in-flight requests');
    // Whatever still runs after 10 s (a stuck client, a hung pool) does not keep the process.
    setTimeout(() => {
      gateway.logger.error('shutdown took longer than 10 s; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    await gateway.close();
    gateway.logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`wardcache failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
