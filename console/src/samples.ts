/** Example events for the preview, one per type (contract section 2), editable before previewing. */
const cluster = { name: "prod-eu-1", id: "c-123", provider: "eks", region: "eu-west-1" };
const common = {
  upgrade_id: "upg-42",
  cluster,
  labels: { env: "prod", team: "payments" },
  dashboard_url: "https://app.example.com/clusters/c-123/upgrades/42",
};

export const SAMPLES: Record<string, Record<string, unknown>> = {
  scan_completed: {
    event_id: "evt-preview-scan",
    type: "scan_completed",
    ...common,
    data: {
      risk_score: 85,
      current_version: "1.29",
      target_version: "1.30",
      deprecated_apis: [
        { api: "batch/v1beta1 CronJob", removed_in: "1.25", replacement: "batch/v1 CronJob", occurrences: 3 },
      ],
      addon_conflicts: [
        {
          name: "istio",
          installed_version: "1.17",
          required_version: ">=1.20",
          reason: "needs Kubernetes 1.30 support",
        },
      ],
    },
  },
  upgrade_scheduled: {
    event_id: "evt-preview-schedule",
    type: "upgrade_scheduled",
    ...common,
    data: {
      risk_score: 45,
      current_version: "1.29",
      target_version: "1.30",
      maintenance_window: { start: "2026-12-05T22:00:00Z", end: "2026-12-06T02:00:00Z", timezone: "Europe/Berlin" },
    },
  },
  execution_started: {
    event_id: "evt-preview-start",
    type: "execution_started",
    ...common,
    data: { execution_id: "exe-7", current_version: "1.29", target_version: "1.30" },
  },
  execution_completed: {
    event_id: "evt-preview-done",
    type: "execution_completed",
    ...common,
    data: {
      execution_id: "exe-7",
      current_version: "1.29",
      target_version: "1.30",
      duration_seconds: 1260,
      rollback_status: "not_needed",
      confidence_score: 96,
    },
  },
  execution_failed: {
    event_id: "evt-preview-failed",
    type: "execution_failed",
    ...common,
    data: {
      execution_id: "exe-7",
      current_version: "1.29",
      target_version: "1.30",
      failure_reason: "Node group ng-2 failed health checks",
      rollback_status: "completed",
      error_details: "3 of 5 nodes NotReady after 10 min",
    },
  },
};
