/**
 * A writer (clinician token) owns the patients it registers, so it knows their exact state. It
 * makes one write at a time through a random gateway process, using every write of the contract,
 * choosing only writes the model says will succeed (its own bed labels `S<w>-<n>`, a share of
 * each ward's free beds), and after each write reads through random processes: Patient, the
 * ward map without and with a filter, Dashboard and WardFilters, each checked against the model.
 */
import { isClean, type Answer } from './client';
import type { Mismatch } from './checker';
import { readKey, pickGateway, sleep, type LoadContext } from './load';
import { sortedIds, TrackedPatient, type PatientState, type Status, type Version } from './model';
import type { Random } from './random';

/** Patients registered at the start, and the most a writer keeps active. */
const INITIAL_PATIENTS = 3;
const MAX_ACTIVE = 5;
/** After this many registrations a writer registers no more (retired patients included). */
const MAX_REGISTRATIONS = 40;

type WriteKind = 'RegisterPatient' | 'AdmitPatient' | 'TransferPatient' | 'DischargePatient' | 'TagPatient' | 'UntagPatient' | 'RecordEvent';

export class Writer {
  private readonly own: TrackedPatient[] = [];
  private nextPatient = 1;
  private nextBed = 1;
  private readonly actor: string;
  private readonly quota = new Map<string, number>();

  constructor(
    private readonly index: number,
    private readonly ctx: LoadContext,
    private readonly rng: Random,
    /** Run-unique text in every name this writer gives, so reruns on one database never collide. */
    private readonly runTag: string,
  ) {
    this.actor = `writer${index}`;
    // A share of each ward's free beds, so writers never compete for room.
    for (const w of ctx.model.baseline.wards) {
      const free = w.capacity - (ctx.model.baseline.seededByWard.get(w.id)?.length ?? 0);
      this.quota.set(w.id, Math.floor(free / ctx.writers));
    }
  }

  private active(): TrackedPatient[] {
    return this.own.filter((p) => !p.retired && p.id !== null);
  }

  async run(): Promise<void> {
    for (let i = 0; i < INITIAL_PATIENTS && performance.now() < this.ctx.deadline; i++) await this.register();
    while (performance.now() < this.ctx.deadline) {
      const active = this.active();
      if (active.length === 0) {
        if (this.nextPatient > MAX_REGISTRATIONS) return;
        await this.register();
        continue;
      }
      await this.step(this.rng.pick(active));
    }
  }

  /** Admissions this writer may hold in `wardId` now (its retired patients' beds stay counted). */
  private roomIn(wardId: string, except?: TrackedPatient): boolean {
    let used = 0;
    for (const p of this.own) {
      if (p === except) continue;
      const last = p.versions.slice(-2).map((v) => v.state);
      if (last.some((s) => s?.admission?.wardId === wardId)) used += 1;
    }
    return used < (this.quota.get(wardId) ?? 0);
  }

  private bed(): string {
    return `S${this.index}-${this.nextBed++}`;
  }

  private async step(p: TrackedPatient): Promise<void> {
    const s = p.current() as PatientState;
    const wards = this.ctx.model.baseline.wards;
    const tags = this.ctx.model.baseline.tags;
    const roomy = wards.filter((w) => this.roomIn(w.id, p));
    const options: Array<readonly [WriteKind, number]> = [
      ['AdmitPatient', s.admission === null && roomy.length > 0 ? 3 : 0],
      ['TransferPatient', s.admission !== null ? 2 : 0],
      ['DischargePatient', s.admission !== null ? 2 : 0],
      ['TagPatient', tags.length > 0 ? 2 : 0],
      ['UntagPatient', tags.length > 0 ? (s.tags.length > 0 ? 2 : 0.3) : 0],
      ['RecordEvent', 3],
      ['RegisterPatient', this.active().length < MAX_ACTIVE && this.nextPatient <= MAX_REGISTRATIONS ? 0.4 : 0],
    ];
    const kind = this.rng.weighted(options);
    switch (kind) {
      case 'RegisterPatient':
        return this.register();
      case 'AdmitPatient': {
        const ward = this.rng.pick(roomy);
        const bed = this.bed();
        const next: PatientState = { ...s, status: 'INPATIENT', admission: { id: null, wardId: ward.id, bed, admittedAt: null } };
        return this.write(p, kind, { input: { patientId: p.id, wardId: ward.id, bed } }, next, (a, v) => {
          const r = a.data.admitPatient;
          const adm = v.state?.admission;
          if (adm) {
            adm.id = String(r.id);
            adm.admittedAt = Date.parse(r.admittedAt);
          }
          return expectFields('admitPatient', { bed: r.bed, ward: String(r.ward?.id), patient: String(r.patient?.id), status: r.patient?.status }, { bed, ward: ward.id, patient: p.id, status: 'INPATIENT' });
        });
      }
      case 'TransferPatient': {
        const adm = s.admission!;
        // Another ward with room, or a new bed in the same ward.
        const others = roomy.filter((w) => w.id !== adm.wardId);
        const wardId = others.length > 0 && this.rng.chance(0.7) ? this.rng.pick(others).id : adm.wardId;
        const bed = this.bed();
        const next: PatientState = { ...s, admission: { ...adm, wardId, bed } };
        return this.write(p, kind, { admissionId: adm.id, wardId, bed }, next, (a) => {
          const r = a.data.transferPatient;
          return expectFields('transferPatient', { id: String(r.id), bed: r.bed, ward: String(r.ward?.id) }, { id: adm.id, bed, ward: wardId });
        });
      }
      case 'DischargePatient': {
        const adm = s.admission!;
        const next: PatientState = { ...s, status: 'OUTPATIENT', admission: null };
        return this.write(p, kind, { admissionId: adm.id }, next, (a) => {
          const r = a.data.dischargePatient;
          return expectFields(
            'dischargePatient',
            { id: String(r.id), discharged: r.dischargedAt != null, patient: String(r.patient?.id), status: r.patient?.status },
            { id: adm.id, discharged: true, patient: p.id, status: 'OUTPATIENT' },
          );
        });
      }
      case 'TagPatient':
      case 'UntagPatient': {
        const tagging = kind === 'TagPatient';
        // Mostly a change; sometimes a no-op (tagging a carried tag, untagging an absent one).
        const useful = tags.filter((t) => s.tags.includes(t.id) !== tagging);
        const tag = useful.length > 0 && this.rng.chance(0.85) ? this.rng.pick(useful) : this.rng.pick(tags);
        const nextTags = tagging ? sortedIds([...s.tags, tag.id]) : s.tags.filter((t) => t !== tag.id);
        const next: PatientState = { ...s, tags: nextTags };
        return this.write(p, kind, { patientId: p.id, tagId: tag.id }, next, (a) => {
          const r = tagging ? a.data.tagPatient : a.data.untagPatient;
          const got = sortedIds(((r?.tags ?? []) as Array<{ id: unknown }>).map((t) => String(t.id)));
          return expectFields(tagging ? 'tagPatient' : 'untagPatient', { id: String(r?.id), tags: got.join(',') }, { id: p.id, tags: nextTags.join(',') });
        }, { tagId: tag.id });
      }
      case 'RecordEvent': {
        // Mostly the newest event of the whole run; sometimes back-dated (latestEventAt stays).
        const backdated = s.latestEventAt !== null && this.rng.chance(0.15);
        const occurredAt = backdated ? (s.latestEventAt as number) - this.rng.between(1, 60_000) : this.ctx.model.nextEventTime();
        const latest = Math.max(s.latestEventAt ?? -Infinity, occurredAt);
        const next: PatientState = { ...s, latestEventAt: latest };
        const eventKind = this.rng.pick(['note', 'vitals', 'lab', 'medication']);
        return this.write(p, kind, { input: { patientId: p.id, kind: eventKind, occurredAt: new Date(occurredAt).toISOString() } }, next, (a) => {
          const r = a.data.recordEvent;
          return expectFields(
            'recordEvent',
            { occurredAt: Date.parse(r.occurredAt), patient: String(r.patient?.id), latestEventAt: Date.parse(r.patient?.latestEventAt) },
            { occurredAt, patient: p.id, latestEventAt: latest },
          );
        });
      }
    }
  }

  private async register(): Promise<void> {
    const n = this.nextPatient++;
    const token = `Kx${this.index}y${n}z${this.runTag}`;
    const name = `Zoë Stress-${this.index}-${n} ${token}`;
    const p = new TrackedPatient(`w${this.index}p${n}`, name, token, this.index);
    this.own.push(p);
    this.ctx.model.add(p);
    const status: Status = this.rng.chance(0.25) ? 'INPATIENT' : 'OUTPATIENT';
    const next: PatientState = { status, admission: null, tags: [], latestEventAt: null };
    await this.write(p, 'RegisterPatient', { input: { name, status } }, next, (a) => {
      const r = a.data.registerPatient;
      if (r?.id != null) this.ctx.model.identify(p, String(r.id));
      return expectFields('registerPatient', { name: r?.name, status: r?.status }, { name, status });
    });
  }

  /**
   * One write: a new version of the patient's state, in flight until the answer; then certain
   * (answered with data; CACHE_INVALIDATION_PENDING beside the data still means it was saved) or
   * ambiguous (the patient retires). The write's own answer is checked, then the reads after it.
   */
  private async write(
    p: TrackedPatient,
    kind: WriteKind,
    variables: Record<string, unknown>,
    next: PatientState,
    verify: (a: Answer, v: Version) => Mismatch[],
    hints: { tagId?: string } = {},
  ): Promise<void> {
    const { ctx } = this;
    const before = p.current();
    const v = p.begin(kind, next);
    const a = await ctx.client.request(pickGateway(ctx, this.rng), kind, variables, ctx.clinician);
    ctx.checker.recordErrors(a, this.actor, false);
    const field = kind.charAt(0).toLowerCase() + kind.slice(1);
    const saved =
      a.transportError === null &&
      a.status === 200 &&
      a.data?.[field] != null &&
      a.errors.every((e) => e.extensions?.code === 'CACHE_INVALIDATION_PENDING');
    let mismatches: Mismatch[] = [];
    if (saved) {
      mismatches = verify(a, v);
      if (kind === 'RegisterPatient' && p.id === null) mismatches.push({ what: 'registerPatient answered no id', expected: 'an id', got: 'none' });
    }
    p.settle(v, saved && mismatches.length === 0, a.endedAt);
    ctx.stats.write(kind, saved);
    if (mismatches.length > 0) ctx.checker.recordMismatches(a, this.actor, mismatches, 'wrong');
    if (!isClean(a) && !saved) await sleep(20); // an error: do not spin
    if (!saved || p.id === null) return;
    await this.readAfter(p, before, hints);
  }

  /** Reads right after a write, each through a random process; all must show the write. */
  private async readAfter(p: TrackedPatient, before: PatientState | null, hints: { tagId?: string }): Promise<void> {
    const { ctx, rng } = this;
    const now = p.current();
    const wardOf = (s: PatientState | null) => s?.admission?.wardId;
    const wardChoices = [wardOf(now), wardOf(before)].filter((w): w is string => w !== undefined);
    const tagChoices = [hints.tagId, ...(now?.tags ?? [])].filter((t): t is string => t !== undefined);
    const filters: Array<Record<string, unknown>> = [
      { wardIds: [wardChoices.length > 0 && rng.chance(0.8) ? rng.pick(wardChoices) : rng.pick(ctx.model.baseline.wards).id] },
      ...(ctx.model.baseline.tags.length > 0 ? [{ tagIds: [tagChoices.length > 0 && rng.chance(0.8) ? rng.pick(tagChoices) : rng.pick(ctx.model.baseline.tags).id] }] : []),
      { search: rng.chance(0.5) ? p.token.toLowerCase() : p.token.toUpperCase() },
      { search: `stress-${this.index}-` },
    ];
    const reads: Array<[string, Record<string, unknown>]> = [
      ['Patient', { id: p.id }],
      ['WardMapping', {}],
      ['WardMapping', { filter: rng.pick(filters) }],
      ['Dashboard', {}],
      ['WardFilters', {}],
    ];
    for (const [operation, variables] of reads) {
      ctx.readKeys.add(readKey(operation, variables));
      const a = await ctx.client.request(pickGateway(ctx, rng), operation, variables, ctx.viewer);
      ctx.checker.read(a, this.actor, true);
    }
  }
}

/** Compares a write's answer with what the write should have done. */
function expectFields(what: string, got: Record<string, unknown>, want: Record<string, unknown>): Mismatch[] {
  const bad = Object.keys(want).filter((k) => String(got[k]) !== String(want[k]));
  return bad.length === 0 ? [] : [{ what: `${what} answered other values than the write made`, expected: JSON.stringify(want), got: JSON.stringify(got) }];
}
