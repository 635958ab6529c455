/** The city's screening programmes people can subscribe to (seed 001), plus campaign news. */
export const PROGRAMMES = ['premarital', 'prenatal', 'newborn', 'elderly', 'campaigns'] as const;
export type Programme = (typeof PROGRAMMES)[number];
export const isProgramme = (v: unknown): v is Programme => PROGRAMMES.includes(v as Programme);
