import type { Resolvers } from '../../graphql/generated/resolvers-types';
import { principalOf } from '../../graphql/context';
import { loadDashboardStats } from './dashboard.query';

export const dashboardResolvers: Resolvers = {
  Query: {
    dashboardStats: (_, __, ctx) => loadDashboardStats(ctx.em, principalOf(ctx).hospitalId),
  },
};
