/**
 * The JSON record of a changing run. It is written before the first call (with every step
 * `pending`) and rewritten after each step, so an interrupted run leaves a file that says exactly
 * what was done, what failed and what was never tried; `bks restore` reads it to undo the run.
 * Files are created with mode 0600 in a directory created with mode 0700, and replaced atomically
 * (write a temporary file, then rename) so a crash never leaves half a JSON document.
 * Records hold identifiers, statuses and policy documents only: never a secret.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors';
import { writePrivateFile } from '../util/private-file';
import type { Plan, PlanNote, PlanStep } from './plan';

export const RECORD_SCHEMA = 'bks.record/v1';
export const DEFAULT_RECORD_DIR = './bks-records';

export type StepStatus = 'pending' | 'done' | 'failed' | 'not-run';

export interface RecordedStep extends PlanStep {
  status: StepStatus;
  at?: string;
  error?: string;
}

/** What the undo must find unchanged before it acts (ids that prove it is the same object). */
export interface RecordSubject {
  kind: 'user' | 'role';
  name: string;
  /** IAM unique id (`AIDA…`/`AROA…`): a user recreated with the same name has another. */
  id?: string;
  arn?: string;
}

export interface ResponseRecord {
  schema: typeof RECORD_SCHEMA;
  command: Plan['command'];
  createdAt: string;
  updatedAt: string;
  /** `planned` before the first call; `running` while executing; then `completed` or `failed`. */
  state: 'planned' | 'running' | 'completed' | 'failed';
  accountId: string;
  partition: string;
  /** ARN of the identity that ran the command. */
  caller: string;
  /** What the user asked for (a user name, a key's alias or access key id — never a key). */
  target: string;
  subjects: RecordSubject[];
  steps: RecordedStep[];
  notes: PlanNote[];
  /** Backup files written before the first change (cleanup). */
  backups?: string[];
  /** For a restore: the record or backup it undid. */
  restoredFrom?: string;
}

/**
 * Where records are kept: a local directory (the CLI) or durable storage (the pipeline's S3
 * bucket, ./record-s3). `write` replaces the whole record: a reader sees the previous or the new
 * text, never half of one.
 */
export interface RecordDestination {
  /** The location of a record named `fileName` (a path, or an `s3://` URI). */
  locate(fileName: string): string;
  write(location: string, text: string): Promise<void>;
}

/** Records as files in `dir` (created 0700): 0600, replaced atomically (temporary file, rename). */
export function directoryDestination(dir: string): RecordDestination {
  return {
    locate(fileName) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return resolve(join(dir, fileName));
    },
    async write(path, text) {
      const tmp = `${path}.tmp`;
      writePrivateFile(tmp, text);
      renameSync(tmp, path);
      chmodSync(path, 0o600);
    },
  };
}

/** A directory path, or a destination. */
export type RecordTarget = string | RecordDestination;

export class RecordWriter {
  private constructor(
    readonly path: string,
    private record: ResponseRecord,
    private readonly destination: RecordDestination,
  ) {}

  /**
   * Writes the record in state `planned` (every step `pending`) and resolves once it is stored:
   * when that fails nothing has been changed yet, and the caller must not act.
   */
  static async create(
    target: RecordTarget,
    fields: Omit<ResponseRecord, 'schema' | 'createdAt' | 'updatedAt' | 'state' | 'steps'> & {
      steps: PlanStep[];
    },
    now: Date = new Date(),
  ): Promise<RecordWriter> {
    const destination = typeof target === 'string' ? directoryDestination(target) : target;
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    const safeTarget = fields.target.replace(/[^\w+=,.@-]/g, '_').slice(0, 80);
    const path = destination.locate(`${fields.command}-${stamp}-${safeTarget}.json`);
    const record: ResponseRecord = {
      schema: RECORD_SCHEMA,
      ...fields,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      state: 'planned',
      steps: fields.steps.map((s) => ({ ...s, status: 'pending' as const })),
    };
    const writer = new RecordWriter(path, record, destination);
    await writer.flush();
    return writer;
  }

  get current(): ResponseRecord {
    return this.record;
  }

  /** Applies `change` and stores the record again (rejects when it could not be stored). */
  async update(change: (r: ResponseRecord) => void): Promise<void> {
    change(this.record);
    this.record.updatedAt = new Date().toISOString();
    await this.flush();
  }

  private flush(): Promise<void> {
    return this.destination.write(this.path, `${JSON.stringify(this.record, null, 2)}\n`);
  }
}

/** Checks a parsed document is a record; one that is not is bad input (exit 2). */
export function parseRecord(parsed: unknown, location: string): ResponseRecord {
  const r = parsed as Partial<ResponseRecord>;
  if (r?.schema !== RECORD_SCHEMA || !Array.isArray(r.steps) || typeof r.accountId !== 'string') {
    throw new UsageError(`${location}: not a bks record (schema "${RECORD_SCHEMA}" expected)`);
  }
  return r as ResponseRecord;
}

/** Reads and checks a record file; a file that is not one is bad input (exit 2). */
export function readRecord(path: string): ResponseRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: not a readable JSON record (${(err as Error).message.split('\n')[0]})`);
  }
  return parseRecord(parsed, path);
}
