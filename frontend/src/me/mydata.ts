// Naming the "My data" export file.

/** `chorus-my-data-<first 8 of the id>-<yyyy-mm-dd>.json`, dated in UTC. */
export function myDataFileName(userId: string, at: Date): string {
  const day = at.toISOString().slice(0, 10);
  return `chorus-my-data-${userId.replace(/[^0-9a-f]/gi, '').slice(0, 8)}-${day}.json`;
}
