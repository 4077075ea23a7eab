/** Error helpers shared by the controllers. */

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** apierrors.HasStatusCause(err, NamespaceTerminatingCause): every create in that namespace fails. */
export function isNamespaceTerminating(e: unknown): boolean {
  const causes = (e as { status?: { details?: { causes?: { type?: string }[] } } } | undefined)?.status?.details?.causes;
  return causes?.some((c) => c.type === 'NamespaceTerminating') ?? false;
}
