import { html, type Markup } from './html';
import type { CacheDependency } from './types';

/** How a change reads in the map: "create", "update · name", "update · any other property". */
export function changeLabel(d: CacheDependency): string {
  if (d.property == null) return d.change;
  return `${d.change} · ${d.property === '*' ? 'any other property' : d.property}`;
}

/** The operations as columns: the contract's order first, then any other the map names. */
export function operationColumns(deps: CacheDependency[], contract: readonly string[]): string[] {
  const named = new Set(deps.flatMap((d) => d.operations));
  return [...contract.filter((o) => named.has(o)), ...[...named].filter((o) => !contract.includes(o)).sort()];
}

/** Rows grouped by entity, in the order the map lists the entities. */
function byEntity(deps: CacheDependency[]): Array<[string, CacheDependency[]]> {
  const groups = new Map<string, CacheDependency[]>();
  for (const d of deps) groups.set(d.entity, [...(groups.get(d.entity) ?? []), d]);
  return [...groups.entries()];
}

/**
 * The dependency map as a matrix: one row per kind of write (entity, change, property), one
 * column per cached operation, a dot where the write changes that operation's answers; the
 * last column says what exactly it evicts.
 */
export function DependencyMap({ deps, contract }: { deps: CacheDependency[]; contract: readonly string[] }): Markup {
  if (deps.length === 0) return html`<p class="empty">The gateway declared no dependencies.</p>`;
  const columns = operationColumns(deps, contract);
  return html`<div class="scroll"><table class="deps" data-testid="deps-table">
    <thead>
      <tr><th>Entity</th><th>Write</th>${columns.map((c) => html`<th class="op-col" key=${c}><code>${c}</code></th>`)}<th>Evicts</th></tr>
    </thead>
    ${byEntity(deps).map(
      ([entity, rows]) => html`<tbody key=${entity} class="dep-group">
        ${rows.map(
          (d, i) => html`<tr data-testid="dep-row" data-entity=${d.entity} data-change=${d.change} data-property=${d.property ?? ''} data-operations=${d.operations.join(',')}>
            ${i === 0 ? html`<th scope="rowgroup" rowspan=${rows.length} class="entity">${entity}</th>` : null}
            <td class="change">${changeLabel(d)}</td>
            ${columns.map((c) =>
              d.operations.includes(c)
                ? html`<td class="cell hit" key=${c} title=${`${entity} ${changeLabel(d)} → ${c}`}><span class="dot" aria-label="feeds"></span></td>`
                : html`<td class="cell" key=${c}></td>`,
            )}
            <td class="evicts">${d.evicts.length ? d.evicts.map((e) => html`<span class="evict" key=${e}>${e}</span>`) : html`<span class="muted">nothing</span>`}</td>
          </tr>`,
        )}
      </tbody>`,
    )}
  </table></div>`;
}
