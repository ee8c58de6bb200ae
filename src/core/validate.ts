/**
 * The guards every layer validates its input with, so that each rule is written once: options
 * objects, strings by pattern, integers in a range, booleans, callbacks, abort signals, Dates, the region name, a
 * timeout signal.
 */
import { isDate, must } from './errors.js';

/** `v` is a string that matches `re`. */
export const is = (v: unknown, re: RegExp): v is string => typeof v == 'string' && re.test(v);

/** A Tencent Cloud region name, e.g. `ap-guangzhou`: the one rule for COS hosts and STS calls. */
export const REGION = /^[a-z\d][a-z\d-]*[a-z\d]$/;

/** `v` is a Date (from any realm) that holds a time, not `Invalid Date`. */
// biome-ignore lint/suspicious/noSelfCompare: NaN, an Invalid Date's time, is the one number unequal to itself.
export const validDate = (v: unknown): v is Date => isDate(v) && +v == +v;

/** The options object of a call; `ERR_INVALID_OPTION` naming `what` (and what it should hold) otherwise. */
export const object = <T>(o: T, what: string, want = 'an object'): T =>
  o && typeof o == 'object' ? o : must('ERR_INVALID_OPTION', what, want, o);

/** `v` when it is an integer in [min, max]; `ERR_INVALID_OPTION` naming `name` otherwise. */
export const int = (name: string, v: unknown, min: number, max: number): number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
    ? (v as number)
    : must('ERR_INVALID_OPTION', name, `an integer from ${min} to ${max}`, v);

/** `v` when it is a boolean; `ERR_INVALID_OPTION` naming `name` otherwise. */
export const flag = (name: string, v: unknown): boolean =>
  typeof v == 'boolean' || must('ERR_INVALID_OPTION', name, 'true or false', v);

/** An optional callback: undefined or a function; `ERR_INVALID_OPTION` naming `name` otherwise. */
export const callback = (name: string, v: unknown): void => {
  if (v !== undefined && typeof v != 'function') must('ERR_INVALID_OPTION', name, 'a function', v);
};

/** An optional `signal` option: undefined or an AbortSignal (anything with addEventListener). */
export const abortSignal = (v: unknown): void => {
  if (v !== undefined && typeof (v as AbortSignal)?.addEventListener != 'function')
    must('ERR_INVALID_OPTION', 'signal', 'an AbortSignal', v);
};

/** A signal that aborts after `ms`, where the runtime has `AbortSignal.timeout` (undefined elsewhere). */
export const timeoutSignal = (ms: number): AbortSignal | undefined =>
  typeof AbortSignal.timeout == 'function' ? AbortSignal.timeout(ms) : undefined;
