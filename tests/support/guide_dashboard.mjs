// What the guide's React dashboard renders (004 guide, MonitoringDashboard.tsx), as text:
// its JSX expressions copied as they are, each `{…}` rendered as React renders a child
// (null, undefined and booleans as nothing). Reads {systemStatus, errorStats, incidents}
// (the bodies of /api/monitoring/system-status, error-stats and incidents) on stdin and
// prints the rendered lines as a JSON list.
import { readFileSync } from "node:fs";

const { systemStatus, errorStats, incidents } = JSON.parse(readFileSync(0, "utf8"));
const child = (value) => (value === null || value === undefined || typeof value === "boolean" ? "" : String(value));
const lines = [];

const overallStatus = systemStatus?.overall_status;
lines.push(overallStatus === 'operational' ? 'All Systems Operational' : 'System Degraded');

systemStatus?.monitors?.map((monitor) => {
  lines.push(`${child(monitor.name)} ${child(monitor.status === 'up' ? 'UP' : 'DOWN')}`);
  lines.push(`Uptime: ${child(monitor.uptime)}%`);
  lines.push(`Response Time: ${child(monitor.response_time)}ms`);
});

lines.push(`${child(errorStats?.backend_errors_24h || 0)} Backend Errors`);
lines.push(`${child(errorStats?.frontend_errors_24h || 0)} Frontend Errors`);

if (incidents?.incidents?.length === 0) {
  lines.push('No incidents in the last 30 days');
} else {
  incidents?.incidents?.map((incident) => {
    lines.push(child(incident.title));
    lines.push(`Status: ${child(incident.status)} | Duration: ${child(incident.duration_minutes)} minutes`);
  });
}

console.log(JSON.stringify(lines));
