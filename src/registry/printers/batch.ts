/** Printers of the batch group: jobs and cron jobs. */
import { humanDuration, parseTime, since } from './duration.js';
import { AGE, NAME, TEMPLATE_COLUMNS, age, arr, boolPtr, col, formatLabelSelector, meta, name, num, obj, str, templateCells } from './table.js';
import type { Json, Printer } from './table.js';

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
    ...TEMPLATE_COLUMNS,
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
    return {
      cells: [name(o), jobStatus(o), completions, duration, age(o, now), ...templateCells(spec.template, formatLabelSelector(spec.selector))],
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
    ...TEMPLATE_COLUMNS,
  ],
  print(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const jobSpec = obj(obj(spec.jobTemplate).spec);
    return {
      cells: [
        name(o),
        str(spec.schedule),
        str(spec.timeZone) || '<none>',
        boolPtr(spec.suspend ?? false),
        arr(status.active).length,
        status.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>',
        age(o, now),
        ...templateCells(jobSpec.template, formatLabelSelector(jobSpec.selector)),
      ],
    };
  },
};
