/**
 * postgres.js (3.4.9, the latest) fetches the server's array types as the first
 * query of every new connection and drops that promise (porsager/postgres#1192,
 * #1205, #1223, open). When the connection dies during that query (the database
 * restarting or stopping while the pool opens a connection), its rejection
 * reaches no handler, and an unhandled rejection ends the process. The query
 * that opened the connection fails on its own, to a caller that handles it; this
 * one is the driver's, not a state of ours to restart from.
 *
 * Recognised by the error's `query` (postgres.js names on it the first query the
 * error reached: here, its catalog query), never by message.
 */
export function isDroppedTypesFetch(reason: unknown): boolean {
  const query = (reason as { query?: unknown } | null | undefined)?.query;
  return typeof query === 'string' && /from pg_catalog\.pg_type a\s+left join pg_catalog\.pg_type b on b\.oid = a\.typelem\s+where a\.typcategory = 'A'/.test(query);
}
