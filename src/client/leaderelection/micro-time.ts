/** metav1.MicroTime on the wire: RFC 3339 with exactly six fractional digits, UTC. */
export function microTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
