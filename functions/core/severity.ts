import type { UpgradeEvent } from "./events";

export type RiskLevel = "critical" | "high" | "medium" | "low";
export type Severity = RiskLevel | "info";

/** Risk score (0..100) to level: 80+ critical, 60..79 high, 30..59 medium, below 30 low. */
export function riskLevel(score: number): RiskLevel {
  if (score >= 80) return "critical";
  if (score >= 60) return "high";
  if (score >= 30) return "medium";
  return "low";
}

export const SEVERITY_COLORS = {
  critical: "#E01E5A",
  high: "#ECB22E",
  medium: "#F2C744",
  low: "#36C5F0",
  info: "#36C5F0",
  success: "#2EB67D",
} as const;

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const satisfies readonly Severity[];

/** An event's built-in `severity` label: risk for scans and schedules, critical for failures, info otherwise. */
export function severityOf(event: UpgradeEvent): Severity {
  switch (event.type) {
    case "scan_completed":
    case "upgrade_scheduled":
      return riskLevel(event.data.risk_score);
    case "execution_failed":
      return "critical";
    default:
      return "info";
  }
}
