/**
 * Settings of the built-in mutating admission steps the registry runs on create, before the kind's own
 * create rules (as kube-apiserver runs its admission chain before the strategy).
 */
export interface AdmissionSettings {
  /** --default-not-ready-toleration-seconds (DefaultTolerationSeconds admission; 300). */
  defaultNotReadyTolerationSeconds: number;
  /** --default-unreachable-toleration-seconds (DefaultTolerationSeconds admission; 300). */
  defaultUnreachableTolerationSeconds: number;
}

export const DEFAULT_ADMISSION: AdmissionSettings = {
  defaultNotReadyTolerationSeconds: 300,
  defaultUnreachableTolerationSeconds: 300,
};
