/**
 * Clinicians' writes to one hospital at a fixed rate, through random gateways, with the
 * contract's mutations: recordEvent 70%, tag 8%, untag 7%, admit, transfer, discharge 5% each.
 * Targets come from the model (world.ts): an idle patient (no write of ours in flight), a free bed
 * in a ward with room. Each write is a new version of its patient (see check.ts for its use):
 * answered with data → certain; refused with CONFLICT / BAD_USER_INPUT / NOT_FOUND → it never
 * happened (the version is dropped); anything else (timeout, 503, SERVICE_UNAVAILABLE, 5xx) →
 * ambiguous: the version stays possible forever and the patient gets no more writes.
 */
import type { PatientState } from '../../test/stress/model';
import { sortedIds } from '../../test/stress/model';
import type { Random } from '../../test/stress/random';
import { errorCodes, type HttpClient } from './client';
import type { RunStats } from './stats';
import type { HospitalModel } from './world';

type Kind = 'RecordEvent' | 'TagPatient' | 'UntagPatient' | 'AdmitPatient' | 'TransferPatient' | 'DischargePatient';
const MIX: Array<readonly [Kind, number]> = [['RecordEvent', 70], ['TagPatient', 8], ['UntagPatient', 7], ['AdmitPatient', 5], ['TransferPatient', 5], ['DischargePatient', 5]];
const REFUSALS = new Set(['CONFLICT', 'BAD_USER_INPUT', 'NOT_FOUND']);
/** Writes in flight per hospital beyond which a due write is skipped (counted). */
const MAX_IN_FLIGHT = 200;

interface Plan {
  kind: Kind;
  patientId: string;
  variables: Record<string, unknown>;
  next: PatientState;
  /** A bed the write takes (reserved now, released if refused). */
  takes?: { wardId: string; bed: string };
}

export interface WriterContext {
  client: HttpClient;
  gateways: string[];
  ops: Map<string, string>;
  stats: () => RunStats;
}

export class HospitalWriter {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;

  constructor(
    private readonly model: HospitalModel,
    private readonly token: string,
    private readonly rng: Random,
    private readonly ctx: WriterContext,
  ) {}

  /** Writes fall due at a fixed rate; a late timer (a busy event loop) sends the ones it missed. */
  start(perSecond: number): void {
    const started = performance.now();
    let sent = 0;
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) * perSecond) / 1000);
      for (; sent < due; sent++) void this.fire();
    }, Math.min(50, 1000 / perSecond));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async drain(): Promise<void> {
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 50));
  }

  private pick(from: readonly string[], ok: (id: string) => boolean): string | null {
    for (let i = 0; i < 60 && from.length > 0; i++) {
      const id = this.rng.pick(from);
      if (this.model.available(id) && ok(id)) return id;
    }
    return null;
  }

  private roomyWard(except?: string): { wardId: string; bed: string } | null {
    const wards = this.model.wards.filter((w) => w.id !== except);
    for (let i = 0; i < 20; i++) {
      const w = this.rng.pick(wards);
      const bed = this.model.freeBed(w.id);
      if (bed) return { wardId: w.id, bed };
    }
    return null;
  }

  private plan(kind: Kind): Plan | null {
    const m = this.model;
    const admitted = [...m.admitted];
    const withAdmission = (id: string) => m.state(id).admission?.id != null;
    switch (kind) {
      case 'RecordEvent': {
        const id = this.rng.chance(0.8) ? this.pick(admitted, () => true) : this.pick(m.patientIds, () => true);
        if (!id) return null;
        const s = m.state(id);
        const at = m.nextEventTime();
        const kinds = ['vitals', 'note', 'lab', 'medication'];
        return { kind, patientId: id, variables: { input: { patientId: id, kind: this.rng.pick(kinds), occurredAt: new Date(at).toISOString() } }, next: { ...s, latestEventAt: Math.max(s.latestEventAt ?? -Infinity, at) } };
      }
      case 'TagPatient':
      case 'UntagPatient': {
        const tagging = kind === 'TagPatient';
        const id = this.pick(admitted, (p) => (tagging ? m.state(p).tags.length < m.tagIds.length : m.state(p).tags.length > 0));
        if (!id) return null;
        const s = m.state(id);
        const tagId = this.rng.pick(tagging ? m.tagIds.filter((t) => !s.tags.includes(t)) : s.tags);
        const tags = tagging ? sortedIds([...s.tags, tagId]) : s.tags.filter((t) => t !== tagId);
        return { kind, patientId: id, variables: { patientId: id, tagId }, next: { ...s, tags } };
      }
      case 'AdmitPatient': {
        const id = this.pick(m.patientIds, (p) => m.state(p).admission === null);
        const to = this.roomyWard();
        if (!id || !to) return null;
        const s = m.state(id);
        return { kind, patientId: id, variables: { input: { patientId: id, wardId: to.wardId, bed: to.bed } }, takes: to, next: { ...s, status: 'INPATIENT', admission: { id: null, wardId: to.wardId, bed: to.bed, admittedAt: null } } };
      }
      case 'TransferPatient': {
        const id = this.pick(admitted, withAdmission);
        const adm = id ? m.state(id).admission : null;
        const to = adm ? this.roomyWard(adm.wardId) : null;
        if (!id || !adm || !to) return null;
        return { kind, patientId: id, variables: { admissionId: adm.id, wardId: to.wardId, bed: to.bed }, takes: to, next: { ...m.state(id), admission: { ...adm, wardId: to.wardId, bed: to.bed } } };
      }
      case 'DischargePatient': {
        const id = this.pick(admitted, withAdmission);
        if (!id) return null;
        const s = m.state(id);
        return { kind, patientId: id, variables: { admissionId: s.admission?.id }, next: { ...s, status: 'OUTPATIENT', admission: null } };
      }
    }
  }

  private async fire(): Promise<void> {
    const stats = this.ctx.stats();
    stats.writes.planned += 1;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      stats.writes.skippedBusy += 1;
      return;
    }
    const plan = this.plan(this.rng.weighted(MIX)) ?? this.plan('RecordEvent');
    if (!plan) {
      stats.writes.noTarget += 1;
      return;
    }
    const m = this.model;
    const before = m.state(plan.patientId);
    const p = m.track(plan.patientId);
    m.busy.add(plan.patientId);
    if (plan.takes) m.reserved.get(plan.takes.wardId)?.add(plan.takes.bed);
    this.inFlight += 1;
    const op = stats.op(plan.kind);
    op.sent += 1;
    const v = p.begin(plan.kind, plan.next);
    const body = JSON.stringify({ query: this.ctx.ops.get(plan.kind), variables: plan.variables, operationName: plan.kind });
    const r = await this.ctx.client.post(this.rng.pick(this.ctx.gateways), body, this.token);
    let parsed: { data?: Record<string, Record<string, unknown> | null> | null; errors?: Array<{ extensions?: { code?: unknown } }> } | null = null;
    try {
      parsed = r.outcome === 'answered' ? JSON.parse(r.body.toString('utf8')) : null;
    } catch {
      parsed = null;
    }
    const codes = errorCodes(parsed);
    const field = plan.kind.charAt(0).toLowerCase() + plan.kind.slice(1);
    const answer = parsed?.data?.[field];
    stats.record(op, r, codes.filter((c) => c !== 'CACHE_INVALIDATION_PENDING'));
    if (r.status === 200 && answer != null && codes.every((c) => c === 'CACHE_INVALIDATION_PENDING')) {
      if (plan.kind === 'AdmitPatient' && v.state?.admission) {
        v.state.admission.id = String(answer.id);
        v.state.admission.admittedAt = Date.parse(String(answer.admittedAt));
      }
      p.settle(v, true, r.endedAt);
      stats.writes.done += 1;
      if (v.state?.admission) m.admitted.add(plan.patientId);
      else m.admitted.delete(plan.patientId);
      // The bed the patient left is free once the write that left it has answered.
      const left = before.admission;
      if (left && (left.wardId !== v.state?.admission?.wardId || left.bed !== v.state?.admission?.bed)) m.reserved.get(left.wardId)?.delete(left.bed);
    } else if (r.status > 0 && r.status < 500 && answer == null && codes.length > 0 && codes.every((c) => REFUSALS.has(c))) {
      p.versions.splice(p.versions.indexOf(v), 1);
      if (plan.takes) m.reserved.get(plan.takes.wardId)?.delete(plan.takes.bed);
      for (const c of new Set(codes)) stats.writes.refused.set(c, (stats.writes.refused.get(c) ?? 0) + 1);
    } else {
      p.settle(v, false, r.endedAt); // ambiguous: retires the patient, its beds stay reserved
      stats.writes.ambiguous += 1;
    }
    m.busy.delete(plan.patientId);
    this.inFlight -= 1;
  }
}
