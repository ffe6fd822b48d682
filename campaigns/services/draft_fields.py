"""The fields each step of a draft changes, as the audit trail names them (drafts.py)."""

INCIDENT_FIELDS = ("title", "kind", "services", "started_at", "expected_resolution_at", "severity", "internal_note")
INCIDENT_LABELS = {
    "title": "title",
    "kind": "kind",
    "services": "affected services",
    "started_at": "start",
    "expected_resolution_at": "expected resolution",
    "severity": "severity",
    "internal_note": "internal note",
}
AUDIENCE_LABELS = {"audience": "audience", "channels": "channels", "mandatory": "mandatory"}
MESSAGE_LABELS = {"fallback_language": "fallback language", "sms_stop_line": "STOP line", "template_id": "template"}
SCHEDULE_LABELS = {
    "send_mode": "when",
    "send_at": "date and time",
    "repeat_every_hours": "repeat interval",
    "repeat_until": "repeat until",
    "validity_hours": "valid for (hours)",
    "pace_per_minute": "at most (messages per minute)",
    "reminder_offsets": "maintenance reminders",
}
