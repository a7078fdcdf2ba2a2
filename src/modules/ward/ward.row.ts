import type { RawRow } from '../../db/rows';
import type { Ward } from './ward.entity';

/** A ward as reads return it (the GraphQL Ward's mapper). */
export interface WardRow {
  id: number;
  name: string;
  abbreviation: string;
  floor: number;
  capacity: number;
}

/** Columns of `ward as w` a WardRow needs. */
export const WARD_COLUMNS = ['w.id', 'w.name', 'w.abbreviation', 'w.floor', 'w.capacity'];

export function wardFromDb(r: RawRow): WardRow {
  return { id: Number(r.id), name: r.name as string, abbreviation: r.abbreviation as string, floor: Number(r.floor), capacity: Number(r.capacity) };
}

export function wardRow(ward: Ward): WardRow {
  return { id: ward.id, name: ward.name, abbreviation: ward.abbreviation, floor: ward.floor, capacity: ward.capacity };
}
