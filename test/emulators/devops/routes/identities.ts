// Identities (IMS): collection level only.
import { errors } from '../errors';
import { readIdentities } from '../identities';
import { list, q, Route, routeTable } from './routing';

export function identityRoutes(): Route[] {
  const { routes, on } = routeTable();
  on(
    'GET',
    '',
    'Identities_Read Identities',
    (ctx) => {
      if (ctx.project) throw errors.notFoundRoute(`/${ctx.project.name}/_apis/identities`);
      return list(
        readIdentities(ctx.org, {
          searchFilter: q(ctx, 'searchFilter'),
          filterValue: q(ctx, 'filterValue'),
          identityIds: q(ctx, 'identityIds'),
          queryMembership: q(ctx, 'queryMembership'),
        }),
      );
    },
    'identities',
  );
  return routes;
}
