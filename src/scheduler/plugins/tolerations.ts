import type { Taint, Toleration } from '../types.js';
import { toleratesTaint } from '../../machinery/tolerations.js';

export { toleratesTaint };

export function tolerated(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}
