/**
 * A text as the redactor searches it: line breaks left out (so a secret cut by `fold -w 10` or by
 * base64's 76-column lines reads whole again) and, in a second view, percent escapes decoded. Each
 * view position maps back to the original text, so a match is masked where it really is.
 *
 * The view's text is built by one native `replace`; the map back is built only when something is
 * found, which on almost every text is never.
 */
export interface TextView {
  /** The text searched. */
  readonly text: string;
  /** The range of the original text that `[start, end)` of the view came from. */
  originalRange(start: number, end: number): [number, number];
}

const LINE_BREAKS = /[\r\n]+/g;
/** Exactly what `unescape` decodes: `%XX` and `%uXXXX`, hex digits in either case. */
const ESCAPES = /%u[0-9A-Fa-f]{4}|%[0-9A-Fa-f]{2}/g;

/** `text` as it is: the start of every view. */
export function plainView(text: string): TextView {
  return { text, originalRange: (start, end) => [start, end] };
}

/** `view` without its line breaks; the same view when it has none. */
export function withoutLineBreaks(view: TextView): TextView {
  const source = view.text;
  LINE_BREAKS.lastIndex = 0;
  if (!LINE_BREAKS.test(source)) return view;
  return compose(view, mappedView(source, source.replace(LINE_BREAKS, ''), LINE_BREAKS, 0));
}

/**
 * `view` with each percent escape decoded to the one character it stands for (byte-wise, as
 * `unescape` does: a UTF-8 sequence becomes one character per byte), mapped to the original text.
 * The same view when there is nothing to decode.
 */
export function percentDecoded(view: TextView): TextView {
  const source = view.text;
  ESCAPES.lastIndex = 0;
  if (!source.includes('%') || !ESCAPES.test(source)) return view;
  // unescape is the native form of exactly this decoding, and many times faster than a replace callback.
  return compose(view, mappedView(source, unescape(source), ESCAPES, 1));
}

/** `outer`, a view of `inner.text`, mapped all the way back to what `inner` came from. */
function compose(inner: TextView, outer: TextView): TextView {
  return {
    text: outer.text,
    originalRange: (start, end) => inner.originalRange(...outer.originalRange(start, end)),
  };
}

/**
 * The view `text` of `source` in which each match of `pattern` became `width` characters (0: it
 * was left out; 1: it was decoded to one character that stands for the whole match).
 */
function mappedView(source: string, text: string, pattern: RegExp, width: 0 | 1): TextView {
  let map: ((start: number, end: number) => [number, number]) | undefined;
  return {
    text,
    originalRange(start, end) {
      map ??= buildMap(source, pattern, width);
      return map(start, end);
    },
  };
}

function buildMap(source: string, pattern: RegExp, width: 0 | 1) {
  // Segments of the view, in order: a run copied from the source one to one, or (width 1) one
  // character standing for a whole match.
  const viewStarts: number[] = [];
  const sourceStarts: number[] = [];
  /** -1 for a copied run; the match's length for a decoded character. */
  const spans: number[] = [];
  let viewLength = 0;
  const push = (sourceStart: number, length: number, span: number) => {
    viewStarts.push(viewLength);
    sourceStarts.push(sourceStart);
    spans.push(span);
    viewLength += length;
  };
  let copiedFrom = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    if (match.index > copiedFrom) push(copiedFrom, match.index - copiedFrom, -1);
    if (width === 1) push(match.index, 1, match[0].length);
    copiedFrom = match.index + match[0].length;
  }
  if (copiedFrom < source.length) push(copiedFrom, source.length - copiedFrom, -1);

  const segmentAt = (position: number) => {
    let low = 0;
    let high = viewStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (viewStarts[middle]! <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  return (start: number, end: number): [number, number] => {
    const first = segmentAt(start);
    const last = segmentAt(end - 1);
    const from = sourceStarts[first]! + (spans[first]! < 0 ? start - viewStarts[first]! : 0);
    const to = sourceStarts[last]! + (spans[last]! < 0 ? end - viewStarts[last]! : spans[last]!);
    return [from, to];
  };
}
