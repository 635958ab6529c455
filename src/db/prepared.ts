import type { Sql, TransactionSql } from 'postgres';

/**
 * postgres.js, as drizzle drives it, with every statement that has parameters
 * prepared on its connection.
 *
 * drizzle sends its SQL through `sql.unsafe`, which postgres.js does not
 * prepare, and an unprepared statement with parameters costs two round trips
 * every time: Parse and Describe first (to learn the parameters' types), then
 * Bind and Execute, parsed and planned anew. Prepared, that happens once per
 * connection; after it a statement is one Bind and Execute, one round trip,
 * planned by the server's plan cache (a custom plan for the first five runs,
 * then a generic one where it is no dearer: the default of every client that
 * prepares). Statements without parameters stay on the simple protocol, one
 * round trip already. In the booking benchmark this took the socket writes
 * from 35 % of the process's CPU to 26 %.
 *
 * The statements a connection prepares are the shapes of the queries in this
 * code, a bounded set; postgres.js retires a connection after 30 to 60
 * minutes (`max_lifetime`), and its prepared statements with it.
 *
 * `onStatement` is told of each statement sent (a transaction's or a
 * savepoint's begin and end count as two): the benchmark counts SQL per
 * message with it. postgres.js's own `debug` hook would do, but it makes every
 * query capture a stack trace, which cost the benchmark 7 % of its CPU.
 */
export function preparing<T extends Sql | TransactionSql>(sql: T, onStatement?: () => void): T {
  /** A transaction's or savepoint's callback gets its scope wrapped the same way; begin and end count as two. */
  const scoped =
    (open: (...a: unknown[]) => Promise<unknown>) =>
    (...a: unknown[]) => {
      const fn = a[a.length - 1] as (tx: TransactionSql) => unknown;
      onStatement?.();
      onStatement?.();
      return open(...a.slice(0, -1), (tx: TransactionSql) => fn(preparing(tx, onStatement)));
    };
  // Built once per client, not on every query.
  const own: Record<string | symbol, unknown> = {
    unsafe: (query: string, args?: unknown[], options?: Record<string, unknown>) => {
      onStatement?.();
      return sql.unsafe(query, args as never, args && args.length > 0 ? { ...options, prepare: true } : (options as never));
    },
    ...('begin' in sql ? { begin: scoped(sql.begin as (...a: unknown[]) => Promise<unknown>) } : {}),
    ...('savepoint' in sql ? { savepoint: scoped(sql.savepoint as (...a: unknown[]) => Promise<unknown>) } : {}),
  };
  return new Proxy(sql, {
    get: (target, prop, receiver) => (Object.hasOwn(own, prop) ? own[prop] : Reflect.get(target, prop, receiver)),
  });
}
