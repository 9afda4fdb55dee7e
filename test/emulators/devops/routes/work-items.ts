// Work Item Tracking (area wit): project-scoped or collection-wide, as the service routes them.
import { errors } from '../errors';
import { parseExpand } from '../work-items';
import { bool, list, ok, q, Route, RouteDeps, routeTable } from './routing';

export function workItemRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  const wit = d.workItems;
  on(
    'GET',
    'workitems/{id}',
    'Work Items_Get Work Item',
    (ctx) => {
      const item = wit.find(ctx.org, ctx.params.id, ctx.project);
      return ok(wit.json(item, { expand: parseExpand(q(ctx, '$expand')), fields: q(ctx, 'fields')?.split(',') }));
    },
    'wit',
  );
  on(
    'GET',
    'workitems',
    'Work Items_List',
    (ctx) => {
      const ids = q(ctx, 'ids');
      if (!ids) throw errors.argumentNull('ids');
      const omit = (q(ctx, 'errorPolicy') ?? 'fail').toLowerCase();
      if (omit !== 'fail' && omit !== 'omit' && omit !== '1' && omit !== '2') throw errors.invalidArgument('errorPolicy', `'${omit}' is not a valid value.`);
      const expand = parseExpand(q(ctx, '$expand'));
      const fields = q(ctx, 'fields')?.split(',');
      const value = ids.split(',').map((id) => {
        try {
          return wit.json(wit.find(ctx.org, id.trim(), ctx.project), { expand, fields });
        } catch (e) {
          if (omit === 'omit' || omit === '2') return null;
          throw e;
        }
      });
      return list(value);
    },
    'wit',
  );
  on(
    'PATCH',
    'workitems/{id}',
    'Work Items_Update',
    (ctx) => {
      const item = wit.find(ctx.org, ctx.params.id, ctx.project);
      if (bool(q(ctx, 'validateOnly'))) {
        const copy = { ...item, fields: { ...item.fields }, relations: [...item.relations] };
        wit.patch(copy, ctx.body, ctx.by);
        return ok(wit.json(copy, { relations: true }));
      }
      wit.patch(item, ctx.body, ctx.by);
      return ok(wit.json(item, { expand: parseExpand(q(ctx, '$expand')), relations: true }));
    },
    'wit',
  );

  return routes;
}
