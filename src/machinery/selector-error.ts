/** Thrown for unparseable or invalid label and field selectors; the message is upstream's. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}
