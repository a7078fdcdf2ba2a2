import type { Resolvers } from '../../graphql/generated/resolvers-types';
import { principalOf } from '../../graphql/context';
import { selectRows } from '../../db/rows';
import { byName } from '../shared/order';
import { TAG_COLUMNS, tagFromDb } from '../tag/tag.row';
import { loadWardMapping } from './ward-mapping.query';
import { WARD_COLUMNS, wardFromDb } from './ward.row';

export const wardResolvers: Resolvers = {
  Query: {
    wardMapping: (_, { filter }, ctx) => loadWardMapping(ctx.em, principalOf(ctx).hospitalId, filter),
    wardFilters: async (_, __, ctx) => {
      const hospital = principalOf(ctx).hospitalId;
      const knex = ctx.em.getKnex();
      const wards = (await selectRows(ctx.em, knex('ward as w').select(WARD_COLUMNS).where('w.hospital_id', hospital))).map(wardFromDb);
      const tags = (await selectRows(ctx.em, knex('tag as t').select(TAG_COLUMNS).where('t.hospital_id', hospital))).map(tagFromDb);
      return { wards: wards.sort(byName), tags: tags.sort(byName), updatedAt: new Date() };
    },
  },
  // WardPatient: every field is on the row (tags included), so graphql-js's default resolvers serve it.
};
