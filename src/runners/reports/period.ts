// Report periods: which UTC instants a calendar day or month covers in an IANA time zone. Pure
// functions on Intl's time-zone data, correct across DST changes (23/25-hour days, midnights that
// do not exist) and month and year ends.

export type PeriodKind = "daily" | "monthly";

export interface ReportPeriod {
  kind: PeriodKind;
  /** "2024-03-31" for a day, "2024-03" for a month. */
  label: string;
  timeZone: string;
  /** First instant of the period (inclusive). */
  start: Date;
  /** First instant after the period (exclusive). */
  end: Date;
  /** Calendar dates (YYYY-MM-DD) the period covers, first and last inclusive. */
  firstDate: string;
  lastDate: string;
}

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws a clear error unless `timeZone` is an IANA zone name this runtime knows. */
export function assertTimeZone(timeZone: string, field = "timeZone"): void {
  try {
    formatterFor(timeZone);
  } catch {
    throw new RangeError(
      `${field}: "${timeZone}" is not a known IANA time zone (for example "UTC" or "Europe/Berlin")`,
    );
  }
}

/** The wall-clock time in `timeZone` at `instantMs`, expressed as if it were UTC (ms). */
function wallClockMs(timeZone: string, instantMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The zone's offset from UTC at an instant, in ms (Berlin in summer: +7_200_000). */
export function offsetMs(timeZone: string, instantMs: number): number {
  const wholeSecond = Math.floor(instantMs / 1000) * 1000;
  return wallClockMs(timeZone, wholeSecond) - wholeSecond;
}

/**
 * The first instant of a calendar day in `timeZone`: local midnight, or when midnight does not
 * exist (a DST gap starting at 00:00), the moment the clocks jump forward.
 */
export function startOfDay(date: CivilDate, timeZone: string): Date {
  const midnightAsUtc = Date.UTC(date.year, date.month - 1, date.day);
  // The offset at local midnight is the offset either just before or just after it; try both
  // candidates and keep the earliest instant whose local date is the requested day.
  const before = offsetMs(timeZone, midnightAsUtc - 36 * 3_600_000);
  const after = offsetMs(timeZone, midnightAsUtc + 36 * 3_600_000);
  const candidates = [midnightAsUtc - before, midnightAsUtc - after].sort((a, b) => a - b);
  for (const candidate of candidates) {
    const local = wallClockMs(timeZone, candidate);
    if (local === midnightAsUtc) return new Date(candidate);
  }
  // Midnight falls in a gap: the day starts at the transition, the first instant whose local
  // date is the requested day. Binary search between the two candidates (an hour or less apart).
  let low = candidates[0]!;
  let high = candidates[candidates.length - 1]! + 3_600_000;
  while (high - low > 1000) {
    const mid = Math.floor((low + high) / 2000) * 1000;
    if (wallClockMs(timeZone, mid) >= midnightAsUtc) high = mid;
    else low = mid;
  }
  return new Date(high);
}

function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

function isoDate(date: CivilDate): string {
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;
}

/** Parses "YYYY-MM-DD" strictly (the day must exist in that month). */
export function parseDate(value: string, field = "date"): CivilDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const civil = match ? { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) } : null;
  if (!civil || isoDate(addDays(civil, 0)) !== value) {
    throw new RangeError(`${field}: "${value}" is not a calendar date in the form YYYY-MM-DD`);
  }
  return civil;
}

/** Whether "YYYY-MM-DD" names a day that exists. */
export function isCalendarDate(value: string): boolean {
  try {
    parseDate(value);
    return true;
  } catch {
    return false;
  }
}

/** Parses "YYYY-MM" strictly. */
export function parseMonth(value: string, field = "month"): CivilDate {
  const match = /^(\d{4})-(\d{2})$/.exec(value);
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12) {
    throw new RangeError(`${field}: "${value}" is not a month in the form YYYY-MM`);
  }
  return { year: Number(match[1]), month, day: 1 };
}

/** The calendar date in `timeZone` at an instant. */
export function localDate(instant: Date, timeZone: string): CivilDate {
  const local = new Date(wallClockMs(timeZone, instant.getTime()));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

export function dailyPeriod(date: string, timeZone: string): ReportPeriod {
  assertTimeZone(timeZone);
  const day = parseDate(date);
  const label = isoDate(day);
  return {
    kind: "daily",
    label,
    timeZone,
    start: startOfDay(day, timeZone),
    end: startOfDay(addDays(day, 1), timeZone),
    firstDate: label,
    lastDate: label,
  };
}

export function monthlyPeriod(month: string, timeZone: string): ReportPeriod {
  assertTimeZone(timeZone);
  const first = parseMonth(month);
  const next =
    first.month === 12 ? { year: first.year + 1, month: 1, day: 1 } : { ...first, month: first.month + 1 };
  return {
    kind: "monthly",
    label: `${pad(first.year, 4)}-${pad(first.month)}`,
    timeZone,
    start: startOfDay(first, timeZone),
    end: startOfDay(next, timeZone),
    firstDate: isoDate(first),
    lastDate: isoDate(addDays(next, -1)),
  };
}

/** The last complete period before `now` in `timeZone`: yesterday, or last month. */
export function previousPeriod(kind: PeriodKind, now: Date, timeZone: string): ReportPeriod {
  assertTimeZone(timeZone);
  const today = localDate(now, timeZone);
  if (kind === "daily") return dailyPeriod(isoDate(addDays(today, -1)), timeZone);
  const lastMonth =
    today.month === 1 ? { year: today.year - 1, month: 12 } : { year: today.year, month: today.month - 1 };
  return monthlyPeriod(`${pad(lastMonth.year, 4)}-${pad(lastMonth.month)}`, timeZone);
}
