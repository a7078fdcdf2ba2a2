import { initORM, migrate } from '../../src/db/orm';
import { seedDatabase, type SeedOptions, type SeedSummary } from '../../src/seed/seed';

/** A fresh SQLite file, migrated and seeded, closed again before any gateway opens it. */
export async function prepareDatabase(path: string, opts: SeedOptions): Promise<SeedSummary> {
  const orm = await initORM({ kind: 'sqlite', path });
  try {
    await migrate(orm);
    return await seedDatabase(orm, opts);
  } finally {
    await orm.close(true);
  }
}
