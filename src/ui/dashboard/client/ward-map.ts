import { html, type Markup } from './html';
import type { WardEntry, WardMappingData, WardPatient } from './types';

/** A ward's beds: each patient at its bed's position when labels are 1…capacity, else in bed order. */
interface Slot {
  label: string;
  patient: WardPatient | null;
}

function slots(entry: WardEntry): Slot[] {
  const capacity = Math.max(entry.capacityEstimate, entry.patients.length);
  const out: Slot[] = Array.from({ length: capacity }, (_, i) => ({ label: String(i + 1), patient: null }));
  const numeric = entry.patients.every((p) => /^\d+$/.test(p.bed) && Number(p.bed) >= 1 && Number(p.bed) <= capacity);
  entry.patients.forEach((p, i) => {
    const at = numeric ? Number(p.bed) - 1 : i;
    out[at] = { label: p.bed, patient: p };
  });
  return out;
}

/** All open admissions of the ward (utilisation is of all of them, whatever the filter; exact under 100 beds). */
const occupiedBeds = (entry: WardEntry): number => Math.round((entry.utilizationPercentage * entry.capacityEstimate) / 100);

const utilisationClass = (pct: number): string => (pct >= 95 ? 'full' : pct >= 80 ? 'high' : 'ok');

function Bed({ slot, filtered }: { slot: Slot; filtered: boolean }): Markup {
  const p = slot.patient;
  if (!p) {
    return html`<div class=${`bed ${filtered ? 'bed-other' : 'bed-free'}`} title=${filtered ? `Bed ${slot.label}: free or not matching the filter` : `Bed ${slot.label}: free`}><span class="bed-label">${slot.label}</span></div>`;
  }
  const tags = p.tags.map((t) => t.name).join(', ');
  return html`<div class="bed bed-occupied" data-testid="bed" data-patient-id=${p.patient.id} title=${`Bed ${p.bed} · ${p.patient.name} · admitted ${p.admissionDays} d ago${tags ? ` · ${tags}` : ''}`}>
    <span class="bed-label">${p.bed}</span>
    <span class="bed-name" data-testid="bed-name">${p.patient.name}</span>
    <span class="bed-days">${p.admissionDays} d</span>
    <span class="bed-tags">${p.tags.map((t) => html`<i key=${t.id} class="tag-dot" style=${`background:${t.color}`} title=${t.name}></i>`)}</span>
  </div>`;
}

function Ward({ entry, filtered }: { entry: WardEntry; filtered: boolean }): Markup {
  const pct = entry.utilizationPercentage;
  const hidden = Math.max(0, occupiedBeds(entry) - entry.patientCount);
  const summary = filtered
    ? `${entry.patientCount} shown · ${hidden} other · ${Math.max(0, entry.capacityEstimate - entry.patientCount - hidden)} free`
    : `${entry.patientCount} / ${entry.capacityEstimate} beds`;
  return html`<article class="ward" data-testid="ward" data-ward-id=${entry.ward.id}>
    <header class="ward-head">
      <h3><span class="ward-abbr">${entry.ward.abbreviation}</span> <span data-testid="ward-name">${entry.ward.name}</span></h3>
      <span class="ward-floor">floor ${entry.ward.floor}</span>
      <span class="ward-summary" data-testid="ward-summary">${summary}</span>
      <span class=${`util util-${utilisationClass(pct)}`} data-testid="ward-utilisation">${pct}%</span>
    </header>
    <div class="util-bar"><div class=${`util-fill util-${utilisationClass(pct)}`} style=${`width:${Math.min(100, pct)}%`}></div></div>
    <div class="beds">${slots(entry).map((slot, i) => html`<${Bed} key=${slot.patient?.patient.id ?? `free-${i}`} slot=${slot} filtered=${filtered} />`)}</div>
  </article>`;
}

/** The WardMapping operation as a picture: every ward a block of its beds. */
export function WardMap({ data, filtered }: { data: WardMappingData | null; filtered: boolean }): Markup {
  if (!data) return html`<p class="empty">—</p>`;
  const m = data.wardMapping;
  return html`<div>
    <p class="map-totals" data-testid="map-totals">${m.totalPatients} patients in ${m.totalWards} wards${filtered ? ' (filtered)' : ''}</p>
    <div class="wards">${m.wards.map((entry) => html`<${Ward} key=${entry.ward.id} entry=${entry} filtered=${filtered} />`)}</div>
  </div>`;
}
