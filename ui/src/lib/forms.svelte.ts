// Form errors, shared by the forms of the pages and components: an error from the core (or one
// found here before asking it) is an IpcError whose `fields` are shown next to their inputs
// (aria-invalid, .error span) and whose `message` goes in a role="alert" element.
//
// - toIpcError / errorMessage: anything thrown, as an IpcError or its message.
// - Problems + invalidInput: the checks made here first, as an "invalid_input" IpcError.
// - withoutField: the error once the user edits one of its fields.
// - focusFirstInvalid: moves focus to the first input marked aria-invalid.
// - mayDiscard: asks before unsaved edits are thrown away.
// - FormErrors: all of this for one form that owns its error.
//
// The messages stay with each form (so the i18n test sees its keys): a form passes its own
// messages, and `several`, its own "n problems" message as a function of n.
import { tick } from "svelte";
import { dialogs, IpcError } from "./ipc";
import { t } from "./i18n/i18n.svelte";

/** A problem with one field, found before the core is asked. */
export type Problem = { field: string; message: string };

/** The message of an error when several fields have one ("3 problems to fix"). */
export type Several = (n: number) => string;

/** Anything thrown, as an IpcError (a non-IpcError becomes an "io" error with its text). */
export function toIpcError(e: unknown): IpcError {
  return e instanceof IpcError ? e : new IpcError({ code: "io", message: String(e), details: [], fields: [] });
}

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof IpcError ? e.message : String(e);
}

/** The summary of field errors: the one message, or `several` of them. */
function summary(fields: { message: string }[], several?: Several): string {
  return fields.length === 1 || !several ? (fields[0]?.message ?? "") : several(fields.length);
}

/** Problems collected in the order of the form:
 *  `new Problems().required("owner", form.owner, message).add("due_date", message)`. */
export class Problems {
  readonly list: Problem[] = [];
  /** A field that must not be blank (nor only spaces). */
  required(field: string, value: string, message: string): this {
    if (!value.trim()) this.list.push({ field, message });
    return this;
  }
  /** A problem found by the form's own check. */
  add(field: string, message: string): this {
    this.list.push({ field, message });
    return this;
  }
}

/** The problems found here as an "invalid_input" error; null when there are none. */
export function invalidInput(problems: Problem[], several?: Several): IpcError | null {
  if (problems.length === 0) return null;
  return new IpcError({
    code: "invalid_input",
    message: summary(problems, several),
    details: [],
    fields: problems.map((p) => ({ field: p.field, message: p.message, position: null })),
  });
}

/** The error once field `f` is edited: without that field's message (and the summary
 *  following), null when no field is left; unchanged when `f` had no message. */
export function withoutField(err: IpcError | null, f: string, several?: Several): IpcError | null {
  if (!err || !err.fields.some((x) => x.field === f)) return err;
  const fields = err.fields.filter((x) => x.field !== f);
  return fields.length
    ? new IpcError({ code: err.code, message: summary(fields, several), details: err.details, fields })
    : null;
}

export const INVALID = "[aria-invalid='true']";

export type FocusOptions = {
  /** What to focus (default: the first input marked aria-invalid). */
  selector?: string;
  /** Scroll it to the middle of the screen (for long forms). */
  center?: boolean;
};

/** Where a form is: a CSS selector, or a function giving its element (read after the update). */
export type Root = string | (() => ParentNode | null | undefined);

/** After the page shows the error, focuses the first invalid input inside `root`. */
export async function focusFirstInvalid(root: Root, opts: FocusOptions = {}): Promise<void> {
  await tick();
  const el = typeof root === "string" ? document.querySelector(root) : root();
  const target = el?.querySelector<HTMLElement>(opts.selector ?? INVALID);
  if (!target) return;
  if (opts.center) {
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  } else {
    target.focus();
  }
}

/** True when there is nothing to lose, or the user agrees to lose it. */
export async function mayDiscard(dirty: boolean, message: string, title: string = t("common.unsaved_title")): Promise<boolean> {
  return !dirty || (await dialogs.confirm(message, title));
}

/** The error of one form, shown by field, cleared field by field as the user edits. */
export class FormErrors {
  /** The error shown (null: none). */
  current = $state<IpcError | null>(null);
  readonly #root: Root;
  readonly #several: Several | undefined;
  readonly #focus: FocusOptions;

  constructor(opts: { root: Root; several?: Several } & FocusOptions) {
    this.#root = opts.root;
    this.#several = opts.several;
    this.#focus = { selector: opts.selector, center: opts.center };
  }

  /** The message for field `f`, if it has one. */
  field = (f: string): string | undefined => this.current?.field(f);

  /** Editing field `f` clears its message (and the summary follows). */
  clear = (f: string): void => {
    this.current = withoutField(this.current, f, this.#several);
  };

  /** Shows the problems found here (focusing the first); true when there are none. */
  check(problems: Problem[]): boolean {
    this.current = invalidInput(problems, this.#several);
    if (this.current) this.focus();
    return !this.current;
  }

  /** Shows what the core (or anything else) threw, and focuses the first invalid input. */
  fail(e: unknown): void {
    this.current = toIpcError(e);
    this.focus();
  }

  focus(): Promise<void> {
    return focusFirstInvalid(this.#root, this.#focus);
  }
}
