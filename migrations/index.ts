import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000000_initial as PgInitial } from './postgresql/Migration20261121000000_initial';
import { Migration20261121000000_initial as SqliteInitial } from './sqlite/Migration20261121000000_initial';
import { Migration20261204000000_change_log as PgChangeLog } from './postgresql/Migration20261204000000_change_log';
import { Migration20261204000000_change_log as SqliteChangeLog } from './sqlite/Migration20261204000000_change_log';

/**
 * Migrations are listed here, in order, per database. Listing them (instead of a folder glob)
 * keeps them working the same under tsx, Jest and a compiled build.
 */
const lists: Record<'sqlite' | 'postgresql', MigrationObject[]> = {
  sqlite: [
    { name: 'Migration20261121000000_initial', class: SqliteInitial },
    { name: 'Migration20261204000000_change_log', class: SqliteChangeLog },
  ],
  postgresql: [
    { name: 'Migration20261121000000_initial', class: PgInitial },
    { name: 'Migration20261204000000_change_log', class: PgChangeLog },
  ],
};

export function migrationsFor(kind: 'sqlite' | 'postgresql'): MigrationObject[] {
  return lists[kind];
}
