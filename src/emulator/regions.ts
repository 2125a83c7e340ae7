/** Fly's public regions (after the 2024 consolidation). Creating anything elsewhere is a 400. */
export const FLY_REGIONS: ReadonlySet<string> = new Set([
  "ams", "arn", "bom", "cdg", "dfw", "ewr", "fra", "gru", "iad", "jnb", "lax", "lhr", "nrt", "ord", "sin", "sjc", "syd", "yyz",
]);
