import type { Resolvers } from '../../graphql/generated/resolvers-types';
import { principalOf } from '../../graphql/context';
import { byName } from '../shared/order';
import { Tag } from '../tag/tag.entity';
import { loadWardMapping } from './ward-mapping.query';
import { Ward } from './ward.entity';

export const wardResolvers: Resolvers = {
  Query: {
    wardMapping: (_, { filter }, ctx) => loadWardMapping(ctx.em, principalOf(ctx).hospitalId, filter),
    wardFilters: async (_, __, ctx) => {
      const hospital = principalOf(ctx).hospitalId;
      const [wards, tags] = await Promise.all([ctx.em.find(Ward, { hospital }), ctx.em.find(Tag, { hospital })]);
      return { wards: wards.sort(byName), tags: tags.sort(byName), updatedAt: new Date() };
    },
  },
  WardPatient: {
    tags: (row, _, ctx) => ctx.loaders.tagsByPatient.load(row.patient.id),
  },
};
