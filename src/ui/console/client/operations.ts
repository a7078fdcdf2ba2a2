import { formatAgeMs, formatBytes, formatCount, formatMs } from './format';
import { html, type Markup } from './html';
import { RateBar } from './rate-bar';
import type { OperationStats } from './types';

const lookups = (o: { hits: number; misses: number }): number => o.hits + o.misses;

/** Per operation: traffic, what is cached now, how old the served answers are, what a miss costs. */
export function OperationsTable({ operations }: { operations: OperationStats[] }): Markup {
  if (operations.length === 0) return html`<p class="empty">No cached operation has been asked for yet.</p>`;
  const rows = [...operations].sort((a, b) => lookups(b) - lookups(a) || a.operationName.localeCompare(b.operationName));
  const total = rows.reduce(
    (t, o) => ({ hits: t.hits + o.hits, misses: t.misses + o.misses, entries: t.entries + o.entries, bytes: t.bytes + o.bytes }),
    { hits: 0, misses: 0, entries: 0, bytes: 0 },
  );
  return html`<table class="numeric" data-testid="operations-table">
    <thead>
      <tr>
        <th>Operation</th><th class="num">Hits</th><th class="num">Misses</th><th>Hit rate</th><th class="num">Entries</th>
        <th class="num">Size</th><th class="num" title="Mean age of the cached answers its hits served">Mean age at hit</th>
        <th class="num" title="Latency of computed answers">Miss p50</th><th class="num">Miss p95</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (o) => html`<tr key=${o.operationName} data-testid="operation-row" data-operation=${o.operationName}>
          <td><code class="op">${o.operationName}</code></td>
          <td class="num" data-col="hits">${formatCount(o.hits)}</td>
          <td class="num" data-col="misses">${formatCount(o.misses)}</td>
          <td data-col="hit-rate"><${RateBar} rate=${o.hitRate} lookups=${lookups(o)} /></td>
          <td class="num" data-col="entries">${formatCount(o.entries)}</td>
          <td class="num" data-col="bytes">${formatBytes(o.bytes)}</td>
          <td class="num" data-col="mean-age">${formatAgeMs(o.meanAgeAtHitMs)}</td>
          <td class="num" data-col="miss-p50">${formatMs(o.missP50Ms)}</td>
          <td class="num" data-col="miss-p95">${formatMs(o.missP95Ms)}</td>
        </tr>`,
      )}
    </tbody>
    <tfoot>
      <tr>
        <th>All operations</th><td class="num">${formatCount(total.hits)}</td><td class="num">${formatCount(total.misses)}</td>
        <td><${RateBar} rate=${lookups(total) ? total.hits / lookups(total) : 0} lookups=${lookups(total)} /></td>
        <td class="num">${formatCount(total.entries)}</td><td class="num">${formatBytes(total.bytes)}</td><td colspan="3"></td>
      </tr>
    </tfoot>
  </table>`;
}
