import pino from 'pino';

/**
 * Structured logs, safe to ship anywhere:
 * - what people typed is never logged, at any level: log the kind of event and
 *   the topic, never a question's text;
 * - errors are logged by a whitelist (their class, message, code, stack, cause),
 *   never with a query's parameters, a platform call's payload or a row's detail;
 * - every line is scrubbed before it is written: the configured secrets, a
 *   token in a platform URL (`/bot<TOKEN>/`), `access_token=…` style pairs, and
 *   Vietnamese phone numbers (the last three digits kept, to tell two apart).
 */
export interface LoggerOptions {
  /** Values never to print (tokens, webhook secrets, a database password): replaced wherever they appear. */
  secrets?: readonly (string | undefined)[];
}

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream, opts: LoggerOptions = {}) {
  const scrub = scrubber(opts.secrets ?? []);
  const options: pino.LoggerOptions = {
    level,
    base: null,
    redact: { paths: SECRET_PATHS, censor: HIDDEN },
    serializers: { err: safeError, error: safeError },
    hooks: { streamWrite: scrub },
  };
  return destination ? pino(options, destination) : pino(options);
}
export type Logger = ReturnType<typeof createLogger>;

const HIDDEN = '[hidden]';

/** Keys whose values are never printed, wherever they sit in a log object. */
const SECRET_PATHS = ['phone', '*.phone', 'token', '*.token', 'secret', '*.secret', 'password', '*.password', 'authorization', '*.authorization', 'headers', '*.headers', 'text', '*.text'];

/** A short, personal-data-free name for an error: its class and code ("GrammyError 403"). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const codeOf = (e: unknown) => (e as { error_code?: unknown })?.error_code ?? (e as { code?: unknown })?.code ?? (e as { errorCode?: unknown })?.errorCode;
    // A network failure's reason (ECONNREFUSED) sits on the error the library wrapped.
    const code = codeOf(err) ?? codeOf((err as { error?: unknown }).error ?? err.cause);
    return code === undefined ? err.name : `${err.name} ${String(code)}`;
  }
  return typeof err;
}

/** Fields of an error that name what went wrong without carrying anyone's data. */
const ERROR_FIELDS = ['code', 'error_code', 'errorCode', 'method', 'severity', 'constraint_name', 'constraint', 'table_name', 'table', 'column_name', 'column', 'routine'] as const;

/**
 * An error as the log may show it. Whitelisted, because libraries hang the
 * request on their errors: drizzle the query's parameters (in the message
 * too), postgres.js the row's values (`detail`), grammY the method's payload.
 */
export function safeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err === null || typeof err !== 'object' ? err : { type: typeof err };
  const out: Record<string, unknown> = { type: err.constructor?.name ?? err.name, message: withoutParams(err.message) };
  for (const key of ERROR_FIELDS) {
    const value = (err as unknown as Record<string, unknown>)[key];
    if (typeof value === 'string' || typeof value === 'number') out[key] = value;
  }
  if (err.stack) out.stack = withoutParams(err.stack);
  // drizzle wraps the driver's error in `cause`, grammY's HttpError the fetch error in `error`.
  const inner = err.cause ?? (err as { error?: unknown }).error;
  if (inner !== undefined && depth < 3) out.cause = safeError(inner, depth + 1);
  return out;
}

/** drizzle's "Failed query: … \nparams: a,b,c": the SQL stays, the values go. */
function withoutParams(s: string): string {
  return s.replace(/\nparams: .*/g, '\nparams: [hidden]');
}

/** The last pass over a written line. */
export function scrubber(secrets: readonly (string | undefined)[]): (line: string) => string {
  // Short values would blank out ordinary words: a secret is long by nature.
  const known = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8))].sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line;
    for (const s of known) if (out.includes(s)) out = out.split(s).join(HIDDEN);
    return out
      .replace(/\/bot\d{3,}:[\w-]{10,}/g, `/bot${HIDDEN}`)
      .replace(/((?:access|refresh)_?token|secret_?key|app_?secret|password)(\\?["']?\s*[:=]\s*\\?["']?)[^"'\\&\s,}]+/gi, `$1$2${HIDDEN}`)
      .replace(/postgres(?:ql)?:\/\/([^:@/\s"]+):[^@/\s"]+@/g, 'postgres://$1:[hidden]@')
      .replace(PHONE, (m) => `${'*'.repeat(m.length - 3)}${m.slice(-3)}`);
  };
}

/** A Vietnamese mobile or landline number in any common spelling, not part of a longer number. */
const PHONE = /(?<![\d.])(?:\+?84|0)[235789]\d{8,9}(?![\d.])/g;
