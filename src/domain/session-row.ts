import type { Session } from './sessions.js';

/** A session read as `to_jsonb(s)` (inside a CTE or a join, where drizzle's own mapping does not reach). */
export function sessionFromJson(j: Record<string, unknown>): Session {
  return {
    id: Number(j.id),
    programme: String(j.programme),
    wardCode: String(j.ward_code),
    placeName: String(j.place_name),
    placeAddress: String(j.place_address),
    startsAt: new Date(String(j.starts_at)),
    durationMin: Number(j.duration_min),
    capacity: Number(j.capacity),
    booked: Number(j.booked),
    note: j.note === null ? null : String(j.note),
    needsPhone: Boolean(j.needs_phone),
    status: String(j.status),
    version: Number(j.version),
    createdBy: j.created_by === null ? null : Number(j.created_by),
    createdAt: new Date(String(j.created_at)),
    cancelledAt: j.cancelled_at === null ? null : new Date(String(j.cancelled_at)),
  };
}
