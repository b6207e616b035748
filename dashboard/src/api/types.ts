// The shapes the dashboard reads (from the services' committed OpenAPI documents).

export type Band = 'excellent' | 'good' | 'fair' | 'poor' | 'critical';

export interface Summary {
  from: string;
  to: string;
  fleet: { vehicles: number; needing_attention: number; mean_score?: number | null; by_band: { band: string; vehicles: number }[] };
  uptime: { ratio?: number | null; basis: string };
  alerts: { open: number; created: number; acknowledged: number; escalated: number; ack_p50_s?: number | null };
  predictions: {
    predicted: number;
    avoided: number;
    failed_as_predicted: number;
    failed_unpredicted: number;
    lead_time_p50_days?: number | null;
  };
  cost_avoided: { value?: number | null; failures_avoided: number; missing: string };
}

export interface AttentionVehicle {
  vehicle_id: string;
  org_id: string;
  overall_band: string;
  overall_score: number;
  worst_band?: string | null;
  worst_component?: string | null;
  min_rul_days?: number | null;
  min_rul_low_days?: number | null;
  min_rul_high_days?: number | null;
  computed_at: string;
}

export interface DayBands {
  day: string;
  excellent: number;
  good: number;
  fair: number;
  poor: number;
  critical: number;
}

export interface Alert {
  alert_id: string;
  vehicle_id: string;
  org_id: string;
  title: string;
  message: string;
  severity: string;
  status: 'open' | 'acknowledged' | 'resolved';
  subject: string;
  component?: string | null;
  step: number;
  occurrences: number;
  needs_review: boolean;
  review_reason?: string | null;
  created_at: string;
  updated_at: string;
  acknowledged_at?: string | null;
  acknowledged_by?: string | null;
  resolved_at?: string | null;
  next_escalation_at?: string | null;
}

export interface Factor {
  detail: string;
  abnormal?: boolean | null;
}

export interface ComponentHealth {
  component: string;
  band: Band;
  score: number;
  rul_days: number;
  rul_km?: number | null;
  /** The 80 % interval of rul_days, [low, high], when the engine gives one. */
  rul_interval_days?: [number, number] | null;
  confidence: number;
  factors?: Factor[];
  serviced_at?: string | null;
}

export interface VehicleHealth {
  vehicle_id: string;
  org_id: string;
  overall_band: Band;
  overall_score: number;
  components: ComponentHealth[];
  newest_reading_at: string;
  odometer_km?: number | null;
  daily_km?: number | null;
  position?: { lat: number; lon: number; at: string } | null;
}

export interface HistoryPoint {
  at: string;
  score: number;
  score_min: number;
  rul_days: number;
  rul_days_min: number;
}

export interface HealthHistory {
  series: { component: string; points: HistoryPoint[] }[];
}

export interface Decision {
  decision_id: string;
  vehicle_id: string;
  component: string;
  diagnosis: string;
  failure_mode: string;
  severity: string;
  disposition?: string;
  urgency_days: number;
  actions: { action?: string; description?: string; [k: string]: unknown }[];
  confidence: number;
  reasoning: string;
  escalated: boolean;
  escalation_reason?: string;
  provider?: string;
  fallback?: boolean;
  decided_at: string;
  evidence?: unknown;
}

export interface Appointment {
  id: string;
  vehicle_id: string;
  title: string;
  status: string;
  starts_at: string;
  ends_at: string;
  center_id: string;
  center_name: string;
  technician_name: string;
  bay: number;
  severity: string;
  component?: string | null;
}

export interface Center {
  id: string;
  name: string;
  address: string;
}

export interface Slot {
  center_name: string;
  starts_at: string;
  ends_at: string;
  label?: string | null;
  technician_name?: string;
}

export interface Proposal {
  id: string;
  status: string;
  created_at: string;
  job: { vehicle_id: string; title: string; severity: string; component?: string | null; due_at: string };
  options: Slot[];
}

export interface SimilarPast {
  claim_id: string;
  similarity: number;
  vehicle_id?: string | null;
  component?: string | null;
  failure_date?: string | null;
  outcome?: string | null;
  fraud_confirmed: boolean;
}

export interface Signal {
  kind: string;
  name: string;
  value: number;
  weight: number;
  explanation: string;
}

export interface Claim {
  id: string;
  org_id: string;
  vehicle_id: string;
  vin: string;
  component: string;
  status: string;
  description: string;
  failure_date: string;
  odometer_km: number;
  submitted_at: string;
  approved_amount?: number | null;
  decided_by?: string | null;
  assessment?: { score: number; confidence: number; signals: Signal[]; recommendation: string; reasons: string[] } | null;
  documents: { sha256?: string; sha?: string; filename?: string; content_type?: string }[];
}
