/**
 * One Deployment's reconcile (upstream deployment_controller.go syncDeployment with sync.go, rolling.go,
 * recreate.go and progress.go): claim ReplicaSets, find or create the new one, scale according to the
 * strategy, clean up old revisions, and record status. Works on copies: informer objects stay untouched.
 */
import { isAlreadyExists, isNotFound, resources } from '../../client/index.js';
import type { Client, Deployment, EventRecorder, Logger, Pod, ReplicaSet } from '../../client/index.js';
import { labelSelectorFromObject, matchesLabels } from '../../machinery/labels.js';
import { assertSameLiveOwner, claimObjects, referenceFor } from '../util/controller-ref.js';
import { errorMessage, isNamespaceTerminating } from '../util/errors.js';
import {
  desiredReplicasAnnotation,
  maxRevision,
  REVISION,
  replicasAnnotationsNeedUpdate,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './annotations.js';
import { desiredReplicas, isRollingUpdate, maxSurge } from './intstr.js';
import { DEPLOYMENT_KIND, newReplicaSetFor } from './new-replicaset.js';
import {
  actualReplicaCount,
  byRevision,
  equalIgnoreHash,
  filterActive,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  isSaturated,
  newRSNewReplicas,
  proportionalSizes,
  specReplicas,
} from './replicasets.js';
import { maxScaledDown, planOldScaleDown, planUnhealthyCleanup } from './rolling.js';
import {
  calculateStatus,
  deploymentComplete,
  getCondition,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  newCondition,
  progressRecheckDelay,
  Reason,
  rolloutStatus,
  setCondition,
  statusEqual,
} from './status.js';

export interface SyncDeps {
  client: Client;
  recorder: EventRecorder;
  log: Logger;
  /** ReplicaSets and pods of the namespace, from the informer caches (not to be mutated). */
  replicaSetsIn(namespace: string): ReplicaSet[];
  podsIn(namespace: string): Pod[];
  /** Requeue the key: after `ms`, or rate limited when `ms` is undefined. */
  requeue(ms?: number): void;
}

interface RSSet {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

export class DeploymentSync {
  private d: Deployment;
  private readonly ns: string;

  constructor(
    private readonly deps: SyncDeps,
    deployment: Deployment,
  ) {
    this.d = structuredClone(deployment);
    this.ns = deployment.metadata.namespace ?? '';
  }

  private get rsClient() {
    return this.deps.client.resource(resources.replicasets, this.ns);
  }

  private get dClient() {
    return this.deps.client.resource(resources.deployments, this.ns);
  }

  async run(): Promise<void> {
    const d = this.d;
    const sel = d.spec?.selector;
    if (!sel || ((sel.matchLabels === undefined || Object.keys(sel.matchLabels).length === 0) && (sel.matchExpressions ?? []).length === 0)) {
      this.deps.recorder.event(referenceFor(d, DEPLOYMENT_KIND), 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...(d.status ?? {}), observedGeneration: d.metadata.generation };
        await this.writeStatus();
      }
      return;
    }
    const rsList = await this.claimReplicaSets();
    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(rsList);
    await this.checkPausedConditions();
    if (d.spec?.paused) return this.syncScaleOnly(rsList);
    if (await this.isScalingEvent(rsList)) return this.syncScaleOnly(rsList);
    if (d.spec?.strategy?.type === 'Recreate') return this.rolloutRecreate(rsList);
    return this.rolloutRolling(rsList);
  }

  // ---- claiming -------------------------------------------------------------------------------

  private async claimReplicaSets(): Promise<ReplicaSet[]> {
    const d = this.d;
    const selector = labelSelectorFromObject(d.spec?.selector);
    const candidates = this.deps.replicaSetsIn(this.ns).map((rs) => structuredClone(rs));
    return claimObjects(candidates, {
      owner: d,
      kind: DEPLOYMENT_KIND,
      matches: (rs) => selector !== 'nothing' && matchesLabels(selector, rs.metadata.labels),
      recheckOwner: async () => assertSameLiveOwner(await this.dClient.get(d.metadata.name ?? ''), d),
      patch: async (rs, patch) => {
        await this.rsClient.patch(rs.metadata.name ?? '', patch, 'strategic');
      },
    });
  }

  /** Pods of the claimed ReplicaSets, by ReplicaSet uid (only Recreate needs them). */
  private podsByReplicaSet(rsList: ReplicaSet[]): Map<string, Pod[]> {
    const byUid = new Map<string, Pod[]>(rsList.map((rs) => [rs.metadata.uid ?? '', []]));
    for (const pod of this.deps.podsIn(this.ns)) {
      const ref = pod.metadata.ownerReferences?.find((r) => r.controller === true);
      if (ref) byUid.get(ref.uid)?.push(pod);
    }
    return byUid;
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Writes the Deployment's status, and its revision annotation: upstream writes both through
   * deployments/status; an apiserver that keeps metadata out of status writes gets a metadata patch.
   */
  private async writeStatus(): Promise<void> {
    const d = this.d;
    let written = await this.dClient.updateStatus(d);
    const revision = d.metadata.annotations?.[REVISION];
    if (revision !== undefined && written.metadata.annotations?.[REVISION] !== revision) {
      written = await this.dClient.patch(d.metadata.name ?? '', { metadata: { annotations: { [REVISION]: revision } } }, 'merge');
    }
    // Later writes in this sync go on from what was written (upstream would conflict and retry).
    d.metadata.resourceVersion = written.metadata.resourceVersion;
  }

  private async scaleReplicaSet(rs: ReplicaSet, to: number): Promise<ReplicaSet> {
    const d = this.d;
    const sizeChanges = specReplicas(rs) !== to;
    const maxReplicas = desiredReplicas(d) + maxSurge(d);
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, desiredReplicas(d), maxReplicas)) return rs;
    const from = specReplicas(rs);
    const copy = structuredClone(rs);
    copy.spec = { ...(copy.spec ?? { selector: {} }), replicas: to };
    setReplicasAnnotations(copy, desiredReplicas(d), maxReplicas);
    const updated = await this.rsClient.update(copy);
    if (sizeChanges) {
      const operation = from < to ? 'up' : 'down';
      this.deps.recorder.event(referenceFor(d, DEPLOYMENT_KIND), 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${rs.metadata.name} from ${from} to ${to}`);
    }
    return updated;
  }

  /** Scales when the size differs; returns whether it did and the ReplicaSet after. */
  private async scaleAndRecord(rs: ReplicaSet, to: number): Promise<[boolean, ReplicaSet]> {
    if (specReplicas(rs) === to) return [false, rs];
    return [true, await this.scaleReplicaSet(rs, to)];
  }

  // ---- new and old ReplicaSets ------------------------------------------------------------------

  private async replicaSetsAndSyncRevision(rsList: ReplicaSet[], create: boolean): Promise<RSSet> {
    const oldRSs = findOldReplicaSets(this.d, rsList);
    const newRS = await this.newReplicaSet(rsList, oldRSs, create);
    return { newRS, oldRSs: newRS ? oldRSs.filter((rs) => rs.metadata.uid !== newRS.metadata.uid) : oldRSs };
  }

  /**
   * The ReplicaSet of the current template, its annotations brought up to date (a rollback to an old
   * ReplicaSet gives it the next revision), or a new one created when `create`.
   */
  private async newReplicaSet(rsList: ReplicaSet[], oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const d = this.d;
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = String(maxRevision(oldRSs.filter((rs) => rs !== existing)) + 1);
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsChanged || minReadyChanged) {
        copy.spec = { ...(copy.spec ?? { selector: {} }), minReadySeconds: d.spec?.minReadySeconds ?? 0 };
        return this.rsClient.update(copy);
      }
      let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations?.[REVISION]);
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        d.status ??= {};
        setCondition(d.status, newCondition('Progressing', 'True', Reason.FoundNewReplicaSet, `Found new replica set "${copy.metadata.name}"`));
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus();
      return copy;
    }
    if (!create) return undefined;

    const rs = newReplicaSetFor(d);
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.rsClient.create(rs);
    } catch (e) {
      if (isAlreadyExists(e)) {
        const found = this.deps.replicaSetsIn(this.ns).find((x) => x.metadata.name === rs.metadata.name) ?? (await this.rsClient.get(rs.metadata.name ?? ''));
        const ref = found.metadata.ownerReferences?.find((r) => r.controller === true);
        if (ref?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          created = structuredClone(found);
          alreadyExisted = true;
        } else {
          // A hash collision with a ReplicaSet that is not ours: the next hash includes a higher count.
          d.status = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
          await this.writeStatus();
          throw e;
        }
      } else if (isNamespaceTerminating(e)) {
        throw e;
      } else {
        const msg = `Failed to create new replica set "${rs.metadata.name}": ${errorMessage(e)}`;
        if (hasProgressDeadline(d)) {
          d.status ??= {};
          setCondition(d.status, newCondition('Progressing', 'False', Reason.FailedRSCreate, msg));
          await this.writeStatus().catch(() => undefined);
        }
        this.deps.recorder.event(referenceFor(d, DEPLOYMENT_KIND), 'Warning', Reason.FailedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExisted && replicas > 0) {
      this.deps.recorder.event(referenceFor(d, DEPLOYMENT_KIND), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
    }
    let needsUpdate = setDeploymentRevision(d, newRevision);
    if (!alreadyExisted && hasProgressDeadline(d)) {
      d.status ??= {};
      setCondition(d.status, newCondition('Progressing', 'True', Reason.NewReplicaSet, `Created new replica set "${created.metadata.name}"`));
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus();
    return created;
  }

  // ---- paused, scaling, status only ------------------------------------------------------------

  private async checkPausedConditions(): Promise<void> {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === Reason.TimedOut) return; // a timed-out rollout stays so until the template changes
    const pausedRecorded = cond?.reason === Reason.Paused;
    d.status ??= {};
    if (d.spec?.paused && !pausedRecorded) {
      setCondition(d.status, newCondition('Progressing', 'Unknown', Reason.Paused, 'Deployment is paused'));
    } else if (!d.spec?.paused && pausedRecorded) {
      setCondition(d.status, newCondition('Progressing', 'Unknown', Reason.Resumed, 'Deployment is resumed'));
    } else {
      return;
    }
    await this.writeStatus();
  }

  /** A ReplicaSet's desired-replicas annotation disagrees with spec.replicas: the Deployment was resized. */
  private async isScalingEvent(rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, false);
    for (const rs of filterActive([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired !== undefined && desired !== desiredReplicas(this.d)) return true;
    }
    return false;
  }

  /** Resize without rolling out (paused or a scaling event); a paused Deployment also prunes history. */
  private async syncScaleOnly(rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, false);
    await this.scale(newRS, oldRSs);
    if (this.d.spec?.paused) await this.cleanup(oldRSs);
    await this.syncStatus([...oldRSs, newRS], newRS);
  }

  private async syncStatusOnly(rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, false);
    await this.syncStatus([...oldRSs, newRS], newRS);
  }

  private async scale(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const d = this.d;
    const only = findActiveOrLatest(newRS, oldRSs);
    if (only) {
      if (specReplicas(only) !== desiredReplicas(d)) await this.scaleAndRecord(only, desiredReplicas(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActive(oldRSs)) await this.scaleAndRecord(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    // Every active ReplicaSet is written, for its replica annotations if not its size.
    for (const [rs, size] of proportionalSizes(d, newRS, oldRSs)) await this.scaleReplicaSet(rs, size);
  }

  // ---- strategies ------------------------------------------------------------------------------

  private async rolloutRolling(rsList: ReplicaSet[]): Promise<void> {
    const d = this.d;
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, true);
    const allRSs = [...oldRSs, newRS];
    if (!newRS) return; // only when creation failed, which throws
    // Scale up the new ReplicaSet as far as maxSurge allows.
    if (specReplicas(newRS) !== desiredReplicas(d)) {
      const target = specReplicas(newRS) > desiredReplicas(d) ? desiredReplicas(d) : newRSNewReplicas(d, allRSs, newRS);
      const [scaled] = await this.scaleAndRecord(newRS, target);
      if (scaled) return this.syncRolloutStatus(allRSs, newRS);
    }
    // Then scale old ones down as far as maxUnavailable allows.
    if (await this.reconcileOldReplicaSets(allRSs, filterActive(oldRSs), newRS)) return this.syncRolloutStatus(allRSs, newRS);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(oldRSs);
    return this.syncRolloutStatus(allRSs, newRS);
  }

  private async reconcileOldReplicaSets(allRSs: (ReplicaSet | undefined)[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
    const d = this.d;
    if (oldRSs.reduce((n, rs) => n + specReplicas(rs), 0) === 0) return false;
    const limit = maxScaledDown(d, allRSs, newRS);
    if (limit <= 0) return false;
    let scaled = 0;
    const olds = [...oldRSs];
    for (const step of planUnhealthyCleanup(olds, limit)) {
      const [, updated] = await this.scaleAndRecord(step.rs, step.to);
      scaled += specReplicas(step.rs) - step.to;
      olds[olds.indexOf(step.rs)] = updated;
    }
    for (const step of planOldScaleDown(d, [...olds, newRS], olds)) {
      await this.scaleAndRecord(step.rs, step.to);
      scaled += specReplicas(step.rs) - step.to;
    }
    return scaled > 0;
  }

  private async rolloutRecreate(rsList: ReplicaSet[]): Promise<void> {
    const d = this.d;
    const podMap = this.podsByReplicaSet(rsList);
    let { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, false);
    let allRSs = [...oldRSs, newRS];
    // First every old pod goes.
    let scaledDown = false;
    for (const rs of filterActive(oldRSs)) {
      const [scaled] = await this.scaleAndRecord(rs, 0);
      scaledDown ||= scaled;
    }
    if (scaledDown) return this.syncRolloutStatus(allRSs, newRS);
    if (oldPodsRunning(newRS, oldRSs, podMap)) return this.syncRolloutStatus(allRSs, newRS);
    // Then the new ReplicaSet gets them all.
    if (!newRS) {
      ({ newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, true));
      allRSs = [...oldRSs, newRS];
    }
    if (newRS) await this.scaleAndRecord(newRS, desiredReplicas(d));
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(oldRSs);
    return this.syncRolloutStatus(allRSs, newRS);
  }

  /** Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(oldRSs: ReplicaSet[]): Promise<void> {
    const d = this.d;
    if (!hasRevisionHistoryLimit(d)) return;
    const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = alive.length - (d.spec?.revisionHistoryLimit ?? 10);
    if (diff <= 0) return;
    alive.sort(byRevision);
    for (const rs of alive.slice(0, diff)) {
      // Only ReplicaSets that are scaled down and whose controller has caught up.
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.rsClient.delete(rs.metadata.name ?? '');
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- status ----------------------------------------------------------------------------------

  private async syncStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const status = calculateStatus(allRSs, newRS, this.d);
    if (statusEqual(this.d.status, status)) return;
    this.d.status = status;
    await this.writeStatus();
  }

  private async syncRolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const d = this.d;
    const status = rolloutStatus(allRSs, newRS, d);
    if (statusEqual(d.status, status)) {
      // Nothing new: look again when the progress deadline would pass.
      const delay = progressRecheckDelay(d, status);
      if (delay !== undefined) this.deps.requeue(delay < 1000 ? undefined : delay);
      return;
    }
    d.status = status;
    await this.writeStatus();
  }
}

/** Recreate waits until no old pod is left that could still run (upstream oldPodsRunning). */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], podMap: Map<string, Pod[]>): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
