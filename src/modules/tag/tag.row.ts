import type { RawRow } from '../../db/rows';
import type { Tag } from './tag.entity';

/** A tag as reads return it (the GraphQL Tag's mapper). */
export interface TagRow {
  id: number;
  name: string;
  color: string;
}

/** Columns of `tag as t` a TagRow needs. */
export const TAG_COLUMNS = ['t.id', 't.name', 't.color'];

export function tagFromDb(r: RawRow): TagRow {
  return { id: Number(r.id), name: r.name as string, color: r.color as string };
}

export function tagRow(tag: Tag): TagRow {
  return { id: tag.id, name: tag.name, color: tag.color };
}
