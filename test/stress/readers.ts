/**
 * A reader (viewer token) is background load: it sends the contract's reads back to back through
 * random gateway processes — Dashboard, WardMapping without and with filters, WardFilters,
 * Patient (owned and seeded patients) — and every answer is checked against the model too.
 */
import { readKey, pickGateway, type LoadContext } from './load';
import type { Random } from './random';

type ReadKind = 'Dashboard' | 'WardMapping' | 'WardMappingFiltered' | 'WardFilters' | 'Patient';

export class Reader {
  private readonly actor: string;

  constructor(
    index: number,
    private readonly ctx: LoadContext,
    private readonly rng: Random,
  ) {
    this.actor = `reader${index}`;
  }

  async run(): Promise<void> {
    while (performance.now() < this.ctx.deadline) {
      const [operation, variables] = this.choose();
      this.ctx.readKeys.add(readKey(operation, variables));
      const a = await this.ctx.client.request(pickGateway(this.ctx, this.rng), operation, variables, this.ctx.viewer);
      this.ctx.checker.read(a, this.actor, false);
    }
  }

  private choose(): [string, Record<string, unknown>] {
    const { rng, ctx } = this;
    const { baseline } = ctx.model;
    const kind = rng.weighted<ReadKind>([
      ['Dashboard', 3],
      ['WardMapping', 2],
      ['WardMappingFiltered', 2],
      ['WardFilters', 1],
      ['Patient', 2],
    ]);
    switch (kind) {
      case 'Dashboard':
        return ['Dashboard', {}];
      case 'WardFilters':
        return ['WardFilters', {}];
      case 'WardMapping':
        return ['WardMapping', {}];
      case 'WardMappingFiltered': {
        const owned = ctx.model.known();
        const filter = rng.weighted<() => Record<string, unknown>>([
          [() => ({ wardIds: [rng.pick(baseline.wards).id] }), 3],
          [() => ({ tagIds: [rng.pick(baseline.tags).id] }), baseline.tags.length > 0 ? 3 : 0],
          [() => ({ search: rng.pick(owned).token.toLowerCase() }), owned.length > 0 ? 2 : 0],
          [() => ({ search: `stress-${rng.between(1, ctx.writers)}-` }), 1],
        ])();
        return ['WardMapping', { filter }];
      }
      case 'Patient': {
        const owned = ctx.model.known();
        const seeded = [...baseline.seededPatients.keys()];
        const id = owned.length > 0 && (seeded.length === 0 || rng.chance(0.8)) ? rng.pick(owned).id : rng.pick(seeded);
        return ['Patient', { id }];
      }
    }
  }
}
