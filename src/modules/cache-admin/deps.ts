import type { ResponseCache } from '../../cache';
import type { Figures } from '../../figures';
import type { JobLedger } from '../../jobs/ledger';

export interface CacheAdminDeps {
  cache: ResponseCache;
  ledger: JobLedger;
  /** This process's figures, merged with every other process's published ones (src/figures). */
  figures: Pick<Figures, 'read' | 'operations'>;
}
