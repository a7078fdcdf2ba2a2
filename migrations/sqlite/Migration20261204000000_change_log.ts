import { Migration } from '@mikro-orm/migrations';
import { changeLogDdl } from '../../src/capture/ddl';

/** The change log and its triggers: every committed change to the dashboard's tables, whoever wrote it. */
export class Migration20261204000000_change_log extends Migration {
  async up(): Promise<void> {
    for (const sql of changeLogDdl('sqlite')) this.addSql(sql);
  }
}
