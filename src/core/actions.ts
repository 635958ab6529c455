import { isProgramme, isScreeningProgramme, type Programme, type ScreeningProgramme } from './programmes.js';

/**
 * The buttons' protocol: every button value the bot sends is an Action encoded
 * here, and every press is decoded here. One place knows the wire format
 * (`a:<code>[:<arg>…]` for actions, `f:<flow>:<step>:<value>` for a flow step's
 * own choices), checks Telegram's 64-byte limit, and turns unknown, malformed
 * or old data into `{ type: 'stale' }`, never an exception.
 *
 * The wire format is the one the bot has always sent, so buttons already in
 * people's chats keep working.
 */
export type Action =
  | { type: 'menu' }
  | { type: 'ask' }
  /** "Hỏi cán bộ tư vấn": `about`, what the person was reading (an FAQ topic, or 'loss'), for the counsellor's context. */
  | { type: 'counsel'; about?: string }
  /** A counsellor takes a waiting conversation; answers one (their typed text goes there); transfers it. */
  | { type: 'counselClaim'; ticket: number }
  | { type: 'counselReply'; ticket: number }
  | { type: 'counselTransfer'; ticket: number }
  /** "Kết thúc", by either side. */
  | { type: 'counselEnd'; ticket: number }
  /** The person's 👍 / 👎 after it closed. */
  | { type: 'counselRate'; ticket: number; up: boolean }
  /** A counsellor's open conversations (/tuvan). */
  | { type: 'counselList' }
  | { type: 'programme'; programme: ScreeningProgramme }
  | { type: 'subscribe'; programme?: Programme }
  | { type: 'faq'; topic: string }
  | { type: 'more'; topic: string }
  | { type: 'feedback'; useful: boolean; topic: string }
  /** The answer to "is it happening right now?" after a sign that may or may not be acute. */
  | { type: 'safetyNow'; topic: string }
  | { type: 'safetyNotNow' }
  /** Book a session; `for`: 0 the person, else a relative's id (an invitation naming who it is for). */
  | { type: 'book'; session: number; for?: number }
  | { type: 'cancelBooking'; booking: number }
  | { type: 'willCome'; booking: number }
  | { type: 'stop' }
  | { type: 'staff'; page?: 'sessions' }
  | { type: 'newSession' }
  | { type: 'session'; session: number }
  | { type: 'roles'; page: 'invite' | 'list' }
  | { type: 'broadcast'; campaign?: string }
  | { type: 'broadcastOp'; op: 'pause' | 'resume' | 'cancel'; broadcast: number }
  | { type: 'relatives'; relative?: number | 'new' }
  | { type: 'journeyPregnancy'; change?: number }
  | { type: 'journeyNewborn'; fromPregnancy?: number }
  | { type: 'journeyPremarital' }
  | { type: 'journeyContraception' }
  /** A discreet reminder's details, one tap away; discretion on or off. */
  | { type: 'journeyDetails'; journey: number; window: string }
  | { type: 'journeyDiscreet'; journey: number; on: boolean }
  | { type: 'journeysHub' }
  | { type: 'journeyKeep' }
  | { type: 'journeyDone'; journey: number; window: string }
  | { type: 'journeySnooze'; journey: number; window: string }
  | { type: 'journeyNotDone'; journey: number }
  | { type: 'journeyNotYet'; journey: number }
  | { type: 'journeyManage'; journey: number }
  | { type: 'journeyStopMenu'; journey: number }
  | { type: 'journeyPause'; journey: number }
  | { type: 'journeyResume'; journey: number }
  | { type: 'journeyStop'; journey: number }
  | { type: 'journeyLoss'; journey?: number }
  /** A flow step's own choice: only valid while that flow is at that step. */
  | { type: 'flow'; flow: string; step: string; value: string };

export type ActionType = Action['type'];
export type ActionOf<T extends ActionType> = Extract<Action, { type: T }>;
/** What a press decodes to when it is not (or no longer) a valid action. */
export type Stale = { type: 'stale' };

/** Telegram's limit on callback data, in bytes. */
export const MAX_ACTION_BYTES = 64;

// ---- argument codecs: an argument is one `:`-free piece of the wire string

const ID_MAX = 2_147_483_647;
/** A positive database id, as written in a button. */
function id(s: string | undefined): number | null {
  if (s === undefined || !/^[1-9]\d{0,9}$/.test(s)) return null;
  const n = Number(s);
  return n <= ID_MAX ? n : null;
}
/** A short token without separators (topic ids, journey windows, campaign ids). */
const token = (s: string | undefined): string | null => (s !== undefined && /^[\w.-]{1,40}$/.test(s) ? s : null);

interface Codec<T extends ActionType> {
  code: string;
  encode(a: ActionOf<T>): (string | number)[];
  decode(args: string[]): ActionOf<T> | null;
}

/** An action with no argument. */
const bare = <T extends ActionType>(type: T, code: string): Codec<T> => ({
  code,
  encode: () => [],
  decode: (args) => (args.length === 0 ? ({ type } as ActionOf<T>) : null),
});

/** An action whose one argument is a database id under `key`. */
const withId = <T extends ActionType>(type: T, code: string, key: string): Codec<T> => ({
  code,
  encode: (a) => [(a as unknown as Record<string, number>)[key]!],
  decode: (args) => {
    const n = args.length === 1 ? id(args[0]) : null;
    return n === null ? null : ({ type, [key]: n } as unknown as ActionOf<T>);
  },
});

/** An action with an id and a window token: `jd:<journey>:<window>`. */
const journeyWindow = <T extends 'journeyDone' | 'journeySnooze' | 'journeyDetails'>(type: T, code: string): Codec<T> => ({
  code,
  encode: (a) => {
    const { journey, window } = a as ActionOf<'journeyDone'>;
    return [journey, window];
  },
  decode: ([j, w, ...rest]) => {
    const journey = id(j);
    const window = token(w);
    return journey === null || window === null || rest.length ? null : ({ type, journey, window } as ActionOf<T>);
  },
});

/** An optional id with a one-letter prefix: `jp:c12`, `jnb:p12`. */
const prefixedId = <T extends 'journeyPregnancy' | 'journeyNewborn'>(type: T, code: string, prefix: string, key: 'change' | 'fromPregnancy'): Codec<T> => ({
  code,
  encode: (a) => {
    const v = (a as Record<string, number | undefined>)[key];
    return v === undefined ? [] : [`${prefix}${v}`];
  },
  decode: (args) => {
    if (args.length === 0) return { type } as ActionOf<T>;
    const n = args.length === 1 && args[0]!.startsWith(prefix) ? id(args[0]!.slice(prefix.length)) : null;
    return n === null ? null : ({ type, [key]: n } as unknown as ActionOf<T>);
  },
});

const OPS = { p: 'pause', r: 'resume', x: 'cancel' } as const;
const OP_CODES = { pause: 'p', resume: 'r', cancel: 'x' } as const;

type Codecs = { [T in Exclude<ActionType, 'flow'>]: Codec<T> };

const CODECS: Codecs = {
  menu: bare('menu', 'menu'),
  ask: bare('ask', 'ask'),
  counsel: {
    code: 'counsel',
    encode: (a) => (a.about ? [a.about] : []),
    decode: (args) => {
      if (args.length === 0) return { type: 'counsel' };
      return args.length === 1 && token(args[0]) ? { type: 'counsel', about: args[0]! } : null;
    },
  },
  counselClaim: withId('counselClaim', 'tkc', 'ticket'),
  counselReply: withId('counselReply', 'tkr', 'ticket'),
  counselTransfer: withId('counselTransfer', 'tkt', 'ticket'),
  counselEnd: withId('counselEnd', 'tke', 'ticket'),
  counselRate: {
    code: 'tkv',
    encode: (a) => [`${a.ticket}-${a.up ? 'u' : 'd'}`],
    decode: (args) => {
      const m = args.length === 1 ? /^(\d+)-([ud])$/.exec(args[0]!) : null;
      const ticket = m ? id(m[1]) : null;
      return m && ticket !== null ? { type: 'counselRate', ticket, up: m[2] === 'u' } : null;
    },
  },
  counselList: bare('counselList', 'tkl'),
  programme: {
    code: 'prog',
    encode: (a) => [a.programme],
    decode: ([p, ...rest]) => (isScreeningProgramme(p) && !rest.length ? { type: 'programme', programme: p } : null),
  },
  subscribe: {
    code: 'sub',
    encode: (a) => (a.programme ? [a.programme] : []),
    decode: (args) => {
      if (args.length === 0) return { type: 'subscribe' };
      return args.length === 1 && isProgramme(args[0]) ? { type: 'subscribe', programme: args[0] } : null;
    },
  },
  faq: {
    code: 'faq',
    encode: (a) => [a.topic],
    decode: ([t, ...rest]) => (token(t) && !rest.length ? { type: 'faq', topic: t! } : null),
  },
  more: {
    code: 'more',
    encode: (a) => [a.topic],
    decode: ([t, ...rest]) => (token(t) && !rest.length ? { type: 'more', topic: t! } : null),
  },
  feedback: {
    code: 'fb',
    encode: (a) => [a.useful ? 'up' : 'down', a.topic],
    decode: ([u, t, ...rest]) => ((u === 'up' || u === 'down') && token(t) && !rest.length ? { type: 'feedback', useful: u === 'up', topic: t! } : null),
  },
  safetyNow: {
    code: 'sfy',
    encode: (a) => [a.topic],
    decode: ([t, ...rest]) => (token(t) && !rest.length ? { type: 'safetyNow', topic: t! } : null),
  },
  safetyNotNow: bare('safetyNotNow', 'sfn'),
  book: {
    code: 'book',
    encode: (a) => [a.for === undefined ? `${a.session}` : `${a.session}-${a.for}`],
    decode: (args) => {
      const m = args.length === 1 ? /^(\d+)(?:-(\d+))?$/.exec(args[0]!) : null;
      const session = m ? id(m[1]) : null;
      if (!m || session === null) return null;
      if (m[2] === undefined) return { type: 'book', session };
      const who = m[2] === '0' ? 0 : id(m[2]);
      return who === null ? null : { type: 'book', session, for: who };
    },
  },
  cancelBooking: withId('cancelBooking', 'bkc', 'booking'),
  willCome: withId('willCome', 'bky', 'booking'),
  stop: bare('stop', 'stop'),
  staff: {
    code: 'staff',
    encode: (a) => (a.page ? [a.page] : []),
    decode: (args) => (args.length === 0 ? { type: 'staff' } : args.length === 1 && args[0] === 'sessions' ? { type: 'staff', page: 'sessions' } : null),
  },
  newSession: bare('newSession', 'snew'),
  session: withId('session', 'ses', 'session'),
  roles: {
    code: 'roles',
    encode: (a) => [a.page],
    decode: ([p, ...rest]) => ((p === 'invite' || p === 'list') && !rest.length ? { type: 'roles', page: p } : null),
  },
  broadcast: {
    code: 'bc',
    encode: (a) => (a.campaign ? [a.campaign] : []),
    decode: (args) => {
      if (args.length === 0) return { type: 'broadcast' };
      return args.length === 1 && token(args[0]) ? { type: 'broadcast', campaign: args[0]! } : null;
    },
  },
  broadcastOp: {
    code: 'bco',
    encode: (a) => [`${OP_CODES[a.op]}-${a.broadcast}`],
    decode: (args) => {
      const m = args.length === 1 ? /^([prx])-(\d+)$/.exec(args[0]!) : null;
      const broadcast = m ? id(m[2]) : null;
      return m && broadcast !== null ? { type: 'broadcastOp', op: OPS[m[1] as keyof typeof OPS], broadcast } : null;
    },
  },
  relatives: {
    code: 'rel',
    encode: (a) => (a.relative === undefined ? [] : [a.relative]),
    decode: (args) => {
      if (args.length === 0) return { type: 'relatives' };
      if (args.length === 1 && args[0] === 'new') return { type: 'relatives', relative: 'new' };
      const n = args.length === 1 ? id(args[0]) : null;
      return n === null ? null : { type: 'relatives', relative: n };
    },
  },
  journeyPregnancy: prefixedId('journeyPregnancy', 'jp', 'c', 'change'),
  journeyNewborn: prefixedId('journeyNewborn', 'jnb', 'p', 'fromPregnancy'),
  journeyPremarital: bare('journeyPremarital', 'jpm'),
  journeyContraception: bare('journeyContraception', 'jc'),
  journeyDetails: journeyWindow('journeyDetails', 'jdt'),
  journeyDiscreet: {
    code: 'jdi',
    encode: (a) => [`${a.journey}-${a.on ? 1 : 0}`],
    decode: (args) => {
      const m = args.length === 1 ? /^(\d+)-([01])$/.exec(args[0]!) : null;
      const journey = m ? id(m[1]) : null;
      return m && journey !== null ? { type: 'journeyDiscreet', journey, on: m[2] === '1' } : null;
    },
  },
  journeysHub: bare('journeysHub', 'jh'),
  journeyKeep: bare('journeyKeep', 'jk'),
  journeyDone: journeyWindow('journeyDone', 'jd'),
  journeySnooze: journeyWindow('journeySnooze', 'jz'),
  journeyNotDone: withId('journeyNotDone', 'jx', 'journey'),
  journeyNotYet: withId('journeyNotYet', 'jny', 'journey'),
  journeyManage: withId('journeyManage', 'jm', 'journey'),
  journeyStopMenu: withId('journeyStopMenu', 'js', 'journey'),
  journeyPause: withId('journeyPause', 'jpa', 'journey'),
  journeyResume: withId('journeyResume', 'jre', 'journey'),
  journeyStop: withId('journeyStop', 'jst', 'journey'),
  journeyLoss: {
    code: 'jl',
    encode: (a) => (a.journey === undefined ? [] : [a.journey]),
    decode: (args) => {
      if (args.length === 0) return { type: 'journeyLoss' };
      const n = args.length === 1 ? id(args[0]) : null;
      return n === null ? null : { type: 'journeyLoss', journey: n };
    },
  },
};

const BY_CODE = new Map<string, Codec<ActionType>>(Object.values(CODECS).map((c) => [c.code, c as Codec<ActionType>]));

/** A flow or step id: short, no separator. */
const FLOW_PART = /^[a-z][\w-]{0,30}$/i;

/**
 * The wire string of an action. Throws when it would not fit Telegram's 64
 * bytes or a part holds a separator: that is a programming error, never a
 * person's (values are ids and short codes, never typed text).
 */
export function encodeAction(a: Action): string {
  let wire: string;
  if (a.type === 'flow') {
    if (!FLOW_PART.test(a.flow) || !FLOW_PART.test(a.step)) throw new Error(`bad flow choice ${a.flow}:${a.step}`);
    wire = `f:${a.flow}:${a.step}:${a.value}`;
  } else {
    const codec = CODECS[a.type] as Codec<ActionType>;
    const args = codec.encode(a).map(String);
    if (args.some((x) => x.includes(':') || x === '')) throw new Error(`action ${a.type}: an argument holds ':' or is empty`);
    wire = ['a', codec.code, ...args].join(':');
  }
  if (Buffer.byteLength(wire, 'utf8') > MAX_ACTION_BYTES) throw new Error(`action ${wire} is over ${MAX_ACTION_BYTES} bytes`);
  return wire;
}

/** What a pressed button (or a typed number resolved to one) means; anything unknown is stale. */
export function decodeAction(wire: string): Action | Stale {
  if (Buffer.byteLength(wire, 'utf8') > MAX_ACTION_BYTES) return { type: 'stale' };
  if (wire.startsWith('f:')) {
    const m = /^f:([^:]+):([^:]+):(.*)$/.exec(wire);
    return m && FLOW_PART.test(m[1]!) && FLOW_PART.test(m[2]!) ? { type: 'flow', flow: m[1]!, step: m[2]!, value: m[3]! } : { type: 'stale' };
  }
  if (!wire.startsWith('a:')) return { type: 'stale' };
  const [code, ...args] = wire.slice(2).split(':');
  const codec = code === undefined ? undefined : BY_CODE.get(code);
  return codec?.decode(args) ?? { type: 'stale' };
}

/** Shorthand for building a choice whose value is an action. */
export const choice = (label: string, action: Action) => ({ label, value: encodeAction(action) });

/**
 * The wire prefix of `book` for a relative, for SQL that appends the relative's
 * id row by row (one invitation per parent in one INSERT … SELECT):
 * prefix + id decodes to `{ type: 'book', session, for: id }`.
 */
export const bookForPrefix = (session: number): string => `${encodeAction({ type: 'book', session, for: 0 }).slice(0, -1)}`;
