/**
 * Tags and a note: what a user says about a run, recorded in run.json. They are metadata, not
 * settings: they change neither the run id, config.json, nor whether a sweep or study resumes a run.
 */
import { UserError } from '../util/errors.js';

/** A tag: a short word of letters, digits and `-_.:`. */
const TAG = /^[A-Za-z0-9_.:-]{1,40}$/;

/** The longest note, in characters. */
export const NOTE_MAX = 1000;

export interface RunLabels {
  tags?: string[];
  note?: string;
}

/**
 * The tags of `values` (each one tag or several, comma-separated), without repeats, in the order
 * given. Throws naming the tag that is not a short word.
 */
export function checkTags(values: readonly string[]): string[] {
  const tags = values.flatMap((value) => String(value).split(',')).map((tag) => tag.trim());
  for (const tag of tags) {
    if (!TAG.test(tag)) {
      throw new UserError(
        `Invalid tag ${JSON.stringify(tag)}: a tag is a short word (1 to 40 letters, digits or -_.:), e.g. --tag baseline; give several as --tag a,b or --tag a --tag b`,
      );
    }
  }
  return [...new Set(tags)];
}

/** The note, checked: at most NOTE_MAX characters. */
export function checkNote(note: string): string {
  if (note.length > NOTE_MAX) {
    throw new UserError(
      `The note has ${note.length} characters, more than ${NOTE_MAX}; shorten it (longer text belongs in a file beside the runs)`,
    );
  }
  return note;
}

/** The labels of the --tag and --note flags (absent fields when the flags are absent). */
export function labelsFromFlags(tag: readonly string[] | undefined, note: string | undefined): RunLabels {
  const tags = tag === undefined ? [] : checkTags(tag);
  return { ...(tags.length > 0 ? { tags } : {}), ...(note === undefined ? {} : { note: checkNote(note) }) };
}
