/** "3m", "2h", "5d" since `iso`; "" when unknown. */
export function age(iso: string | null, now: Date): string {
  if (!iso) return "";
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return "";
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** HH:MM:SS UTC of an ISO time. */
export const clock = (iso: string) => iso.slice(11, 19);
