import { TIME_ZONE } from '../config/clock.js';

const dateFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar day in Hải Phòng, YYYY-MM-DD, whatever the machine's zone. */
export const localDate = (at: Date): string => dateFmt.format(at);
