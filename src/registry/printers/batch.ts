/** Printers of the batch group: jobs and cron jobs. */
import { humanDuration, parseTime, since } from './duration.js';
import { AGE, NAME, WIDE, arr, boolPtr, col, containerCells, formatLabelSelector, meta, num, obj, podTemplateSpec, str } from './table.js';
import type { Json, Printer } from './table.js';

const CONTAINERS = col('Containers', 'string', 'Container names in the template.', WIDE);
const IMAGES = col('Images', 'string', 'Container images in the template.', WIDE);
const SELECTOR = col('Selector', 'string', 'Label selector of the pods.', WIDE);

function jobCondition(conditions: unknown, type: string): boolean {
  for (const c of arr(conditions)) if (c?.type === type) return c.status === 'True';
  return false;
}

function jobStatus(o: Json): string {
  const conditions = obj(o.status).conditions;
  if (jobCondition(conditions, 'Complete')) return 'Complete';
  if (jobCondition(conditions, 'Failed')) return 'Failed';
  if (meta(o).deletionTimestamp) return 'Terminating';
  if (jobCondition(conditions, 'Suspended')) return 'Suspended';
  if (jobCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export const jobPrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 'State of the job.'),
    col('Completions', 'string', 'Succeeded pods of the completions wanted.'),
    col('Duration', 'string', 'How long the job ran.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const succeeded = num(status.succeeded);
    let completions: string;
    // Upstream defaulting sets both to 1 when neither is given.
    const given = typeof spec.completions === 'number' ? spec.completions : typeof spec.parallelism === 'number' ? undefined : 1;
    if (given !== undefined) completions = `${succeeded}/${given}`;
    else {
      const parallelism = num(spec.parallelism);
      completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
    }
    const start = parseTime(status.startTime);
    const end = parseTime(status.completionTime);
    const duration = start === undefined ? '' : humanDuration((end ?? now) - start);
    const [names, images] = containerCells(podTemplateSpec(spec.template).containers);
    return {
      cells: [str(meta(o).name), jobStatus(o), completions, duration, since(meta(o).creationTimestamp, now), names, images, formatLabelSelector(spec.selector)],
    };
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    NAME,
    col('Schedule', 'string', 'Cron schedule.'),
    col('Timezone', 'string', 'Time zone of the schedule.'),
    col('Suspend', 'boolean', 'Whether new runs are suspended.'),
    col('Active', 'integer', 'Jobs running now.'),
    col('Last Schedule', 'string', 'Time since a job was last scheduled.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const jobSpec = obj(obj(spec.jobTemplate).spec);
    const [names, images] = containerCells(podTemplateSpec(jobSpec.template).containers);
    return {
      cells: [
        str(meta(o).name),
        str(spec.schedule),
        str(spec.timeZone) || '<none>',
        boolPtr(spec.suspend ?? false),
        arr(status.active).length,
        status.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>',
        since(meta(o).creationTimestamp, now),
        names,
        images,
        formatLabelSelector(jobSpec.selector),
      ],
    };
  },
};
