/**
 * The city's programmes people can subscribe to (seed 001): the screening
 * programmes, family planning (service campaigns: IUD, implant, injectable,
 * pill, condoms, cancer and infertility screening where offered), plus campaign news.
 */
export const PROGRAMMES = ['premarital', 'prenatal', 'newborn', 'elderly', 'familyplanning', 'campaigns'] as const;
export type Programme = (typeof PROGRAMMES)[number];
export const isProgramme = (v: unknown): v is Programme => PROGRAMMES.includes(v as Programme);

/** The screening programmes: each has a menu page, sessions and invitations (campaign news has none of these). */
export const SCREENING_PROGRAMMES = ['premarital', 'prenatal', 'newborn', 'elderly', 'familyplanning'] as const satisfies readonly Programme[];
export type ScreeningProgramme = (typeof SCREENING_PROGRAMMES)[number];
export const isScreeningProgramme = (v: unknown): v is ScreeningProgramme => SCREENING_PROGRAMMES.includes(v as ScreeningProgramme);
